import { z } from 'zod';
import type { ServiceDefinition } from './definition';
import { method } from './definition';

/** Appearance and terminal behaviour (issue "Settings"), persisted by main. */

export const THEMES = ['dark', 'light'] as const;

const settingsShape = {
  theme: z.enum(THEMES, { error: 'The theme is dark or light.' }),
  /** A CSS font-family list. */
  fontFamily: z
    .string()
    .trim()
    .min(1, { error: 'Name a font.' })
    .max(200, { error: 'The font list is limited to 200 characters.' })
    .refine((text) => !/[\p{Cc};{}]/u.test(text), {
      error: 'The font list cannot contain ; { } or control characters.',
    }),
  fontSize: z.int({ error: 'The font size is a whole number from 8 to 40.' }).min(8).max(40),
  /** Lines kept above the visible terminal. */
  scrollback: z.int({ error: 'The scrollback is a whole number of lines from 0 to 1000000.' }).min(0).max(1_000_000),
  copyOnSelect: z.boolean(),
};

export const settingsSchema = z.strictObject(settingsShape);
export type Settings = z.output<typeof settingsSchema>;

export const DEFAULT_SETTINGS: Settings = {
  theme: 'dark',
  fontFamily: '"Cascadia Mono", Consolas, "DejaVu Sans Mono", monospace',
  fontSize: 14,
  scrollback: 10_000,
  copyOnSelect: false,
};

/** The settings a change names; the others keep their values. */
export const settingsChangeSchema = z.strictObject(settingsShape).partial();

export const settingsServiceDefinition = {
  methods: {
    get: method(z.void(), settingsSchema),
    update: method(settingsChangeSchema, settingsSchema),
  },
  events: {
    onDidChangeSettings: settingsSchema,
  },
} as const satisfies ServiceDefinition;
