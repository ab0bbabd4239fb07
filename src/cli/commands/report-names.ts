// The reports `offgrid report` knows, apart from their implementation so the CLI can
// describe them without loading it.
export const REPORTS = ['summary', 'downloads', 'cached', 'uncached', 'to-cache', 'duration', 'compare'] as const;
export type ReportName = (typeof REPORTS)[number];
