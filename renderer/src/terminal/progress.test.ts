import { describe, expect, it } from 'vitest';
import { ProgressModel, renderProgress, type ProgressRecord } from './progress';
import { unicode11Width } from './unicode-width';

const width = unicode11Width();

function record(fields: Partial<ProgressRecord> & { activityId: number }): ProgressRecord {
  return {
    activity: `Activity ${fields.activityId}`,
    statusDescription: 'Processing',
    currentOperation: null,
    parentActivityId: -1,
    percentComplete: -1,
    secondsRemaining: -1,
    recordType: 'Processing',
    ...fields,
  };
}

const activities = (model: ProgressModel) => model.entries().map(({ record: r, depth }) => `${depth}:${r.activity}`);

describe('ProgressModel', () => {
  it('keeps one entry per (source, activity id), updated in place', () => {
    const model = new ProgressModel();
    model.update(1n, record({ activityId: 1, activity: 'Copy' }));
    model.update(1n, record({ activityId: 2, activity: 'Scan' }));
    model.update(1n, record({ activityId: 1, activity: 'Copy', percentComplete: 50 }));
    model.update(2n, record({ activityId: 1, activity: 'Other source' }));
    expect(activities(model)).toEqual(['0:Copy', '0:Scan', '0:Other source']);
    expect(model.entries()[0]?.record.percentComplete).toBe(50);
  });

  it('nests children under their parent activity of the same source, depth first', () => {
    const model = new ProgressModel();
    model.update('s', record({ activityId: 1, activity: 'Outer' }));
    model.update('s', record({ activityId: 9, activity: 'Sibling' }));
    model.update('s', record({ activityId: 2, activity: 'Inner', parentActivityId: 1 }));
    model.update('s', record({ activityId: 3, activity: 'Innermost', parentActivityId: 2 }));
    model.update('t', record({ activityId: 4, activity: 'Parent in another source', parentActivityId: 1 }));
    expect(activities(model)).toEqual(['0:Outer', '1:Inner', '2:Innermost', '0:Sibling', '0:Parent in another source']);
  });

  it('Completed removes the activity and everything nested in it', () => {
    const model = new ProgressModel();
    model.update(0, record({ activityId: 1, activity: 'Outer' }));
    model.update(0, record({ activityId: 2, activity: 'Inner', parentActivityId: 1 }));
    model.update(0, record({ activityId: 3, activity: 'Innermost', parentActivityId: 2 }));
    model.update(0, record({ activityId: 4, activity: 'Other' }));
    model.update(0, record({ activityId: 2, recordType: 'Completed' }));
    expect(activities(model)).toEqual(['0:Outer', '0:Other']);
    model.update(0, record({ activityId: 1, recordType: 'Completed' }));
    model.update(0, record({ activityId: 4, recordType: 'Completed' }));
    expect(model.isEmpty).toBe(true);
  });

  it('shows activities that name each other as parents instead of losing them', () => {
    const model = new ProgressModel();
    model.update(0, record({ activityId: 1, activity: 'A', parentActivityId: 2 }));
    model.update(0, record({ activityId: 2, activity: 'B', parentActivityId: 1 }));
    expect(activities(model)).toEqual(['0:A', '1:B']);
  });
});

describe('renderProgress', () => {
  // pwsh 7.6.9 at 80 columns for
  //   Write-Progress -Id 1 -Activity 'Copying files' -Status '5 of 10' -PercentComplete 50 -SecondsRemaining 30
  //   Write-Progress -Id 2 -ParentId 1 -Activity 'Inner work' -Status 'step 3' -PercentComplete 30
  // writes these two lines (its indent precedes the style):
  it('matches PowerShell 7 minimal view, bar and all', () => {
    const model = new ProgressModel();
    model.update(
      0,
      record({
        activityId: 1,
        activity: 'Copying files',
        statusDescription: '5 of 10',
        percentComplete: 50,
        secondsRemaining: 30,
      }),
    );
    model.update(
      0,
      record({
        activityId: 2,
        parentActivityId: 1,
        activity: 'Inner work',
        statusDescription: 'step 3',
        percentComplete: 30,
      }),
    );
    expect(renderProgress(model.entries(), { columns: 80, width, maxRows: 10 })).toEqual([
      `\x1b[33;1mCopying files [\x1b[7m5 of 10${' '.repeat(24)}\x1b[27m${' '.repeat(28)}30s]\x1b[0m`,
      `  \x1b[33;1mInner work [\x1b[7mstep 3${' '.repeat(13)}\x1b[27m${' '.repeat(44)}]\x1b[0m`,
    ]);
  });

  it('fills the whole bar when the percentage is unknown', () => {
    const lines = renderProgress(
      [{ record: record({ activityId: 1, activity: 'Copying files', statusDescription: 'x' }), depth: 0 }],
      {
        columns: 80,
        width,
        maxRows: 10,
      },
    );
    expect(lines).toEqual([`\x1b[33;1mCopying files [\x1b[7mx${' '.repeat(61)}\x1b[27m]\x1b[0m`]);
  });

  it('never draws a line as wide as the screen, shortening the activity for the bar', () => {
    const long = record({
      activityId: 1,
      activity: 'A very long activity name that goes on',
      statusDescription: '状態',
      percentComplete: 100,
    });
    for (const columns of [12, 20, 33, 200]) {
      const [line = ''] = renderProgress([{ record: long, depth: 1 }], { columns, width, maxRows: 1 });
      // eslint-disable-next-line no-control-regex -- SGR sequences are stripped to measure
      const visible = line.replace(/\x1b\[[\d;]*m/g, '');
      expect([...visible].reduce((cells, char) => cells + width(char.codePointAt(0) ?? 0), 0)).toBe(
        Math.min(columns, 120) - 2,
      );
    }
    expect(renderProgress([{ record: long, depth: 0 }], { columns: 30, width, maxRows: 1 })).toEqual([
      '\x1b[33;1mA very long act… [\x1b[7m状態     \x1b[27m]\x1b[0m',
    ]);
  });

  it('shows at most maxRows activities and never the remote escape sequences', () => {
    const entries = [1, 2, 3].map((id) => ({
      record: record({ activityId: id, activity: `x\x1b[2J${id}` }),
      depth: 0,
    }));
    const lines = renderProgress(entries, { columns: 30, width, maxRows: 2 });
    expect(lines).toHaveLength(2);
    expect(lines.join('')).not.toContain('\x1b[2J');
  });
});
