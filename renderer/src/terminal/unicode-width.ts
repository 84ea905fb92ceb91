import { Unicode11Addon } from '@xterm/addon-unicode11';
import type { IUnicodeVersionProvider, Terminal } from '@xterm/xterm';
import { UsageError } from '../../../core/errors';
import type { CodePointWidth } from './text-width';

/**
 * The Unicode 11 width table xterm.js renders with once the unicode11 addon is active. The addon only
 * hands its provider to `terminal.unicode.register`, so a stand-in terminal receives it; the table is
 * the same one the real terminal gets from its own addon instance.
 */
export function unicode11Width(): CodePointWidth {
  let provider: IUnicodeVersionProvider | undefined;
  const registrar = { unicode: { register: (registered: IUnicodeVersionProvider) => (provider = registered) } };
  new Unicode11Addon().activate(registrar as unknown as Terminal);
  const table = provider;
  if (!table) throw new UsageError('the unicode11 addon registered no width provider');
  return (codePoint) => table.wcwidth(codePoint);
}
