/**
 * Where WinRM Desk keeps its data (host profiles, trust decisions, history; never secrets) on each OS,
 * following each platform's convention. `WINRM_DESK_DATA_DIR` overrides it (tests and portable use).
 */
export declare function appDataDirectory(
  env?: Readonly<Record<string, string | undefined>>,
  platform?: NodeJS.Platform,
  home?: string,
): string;
