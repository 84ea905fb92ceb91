/**
 * End to end against real PowerShell 7.6 over its stdio transport (`pwsh -s`): the runspace pool
 * and pipelines of this folder, driven by test-support/pwsh-stdio.ts. Skipped when pwsh is absent.
 */
import { existsSync } from 'node:fs';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  isPrimitive,
  primitive,
  PSDateTime,
  PSObject,
  PSTimeSpan,
  PSVersion,
  type PSPrimitive,
  type PSValue,
} from '../clixml';
import { randomGuid } from '../guid';
import { hostWithUI } from './messages/host-info';
import { PROTOCOL_2_3, PROTOCOL_2_4, CLIENT_CAPABILITY } from './messages/pool';
import { scriptPipeline, type CommandSpec } from './messages/pipeline';
import { textOf } from './messages/records';
import { Credential, SecureText } from './messages/values';
import { RunspacePool } from './runspace-pool';
import { PWSH, PWSH_EXIT_AFTER_EOF, PwshStdioDriver } from './test-support/pwsh-stdio';

const newId = (): string => randomGuid((length) => new Uint8Array(randomBytes(length)));
const exchangeKey = () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const SECRET = 'pässwörd with spaces & <xml> 🔑';

// The real peer must be there (scripts/install-deps.sh installs it): a missing pwsh fails, never skips.
it('finds pwsh 7.6.9, the real peer of these tests', () => {
  expect(existsSync(PWSH), `${PWSH} is missing: run scripts/install-deps.sh`).toBe(true);
});

describe('RunspacePool against pwsh 7.6 over stdio', () => {
  let driver: PwshStdioDriver;

  beforeAll(async () => {
    driver = await PwshStdioDriver.open(new RunspacePool({ runspacePoolId: newId(), host: hostWithUI(), exchangeKey }));
  }, 30_000);

  afterAll(async () => {
    if (driver === undefined) return;
    const exitCode = await driver.close();
    driver.kill();
    expect(driver.failure).toBeUndefined();
    expect(exitCode).toBe(PWSH_EXIT_AFTER_EOF);
  }, 30_000);

  it('opens the pool: pwsh answers protocol 2.3 and sends its PSVersionTable', () => {
    expect(driver.pool.state).toBe('Opened');
    expect(driver.pool.serverCapability?.protocolVersion.toString()).toBe('2.3');
    const data = driver.pool.applicationPrivateData;
    expect(data instanceof PSObject && data.isInstanceOf('System.Management.Automation.PSPrimitiveDictionary')).toBe(
      true,
    );
  });

  it('runs Get-Date and 1..5', async () => {
    const date = await driver.run(scriptPipeline('Get-Date'));
    expect(date.state).toBe('Completed');
    const value = date.output[0];
    const dateTime = value instanceof PSObject ? value.value : value;
    expect(isPrimitive(dateTime) && dateTime.kind).toBe('DateTime');
    const numbers = await driver.run(scriptPipeline('1..5'));
    expect(numbers.output).toEqual([1, 2, 3, 4, 5].map((n) => primitive('Int32', n)));
  });

  it('reports every stream', async () => {
    const run = await driver.run(
      scriptPipeline(
        [
          "Write-Output 'out'",
          "Write-Error 'err'",
          "Write-Warning 'warn'",
          "Write-Verbose 'verb' -Verbose",
          "Write-Debug 'dbg' -Debug",
          "Write-Information 'info'",
          "Write-Progress -Activity 'act' -Status 'stat' -PercentComplete 50",
          "Write-Host 'host'",
        ].join('\n'),
      ),
    );
    expect(run.state).toBe('Completed');
    expect(run.output).toEqual([primitive('String', 'out')]);
    expect(run.errors.map((e) => [e.message, e.fullyQualifiedErrorId])).toEqual([
      ['err', 'Microsoft.PowerShell.Commands.WriteErrorException'],
    ]);
    expect(run.errors[0]?.scriptStackTrace).toMatch(/line 2$/);
    const informational = run.events.flatMap((e) =>
      e.type === 'informationalRecord' ? [[e.stream, e.record.message]] : [],
    );
    expect(informational).toEqual([
      ['warning', 'warn'],
      ['verbose', 'verb'],
      ['debug', 'dbg'],
    ]);
    const information = run.events.flatMap((e) => (e.type === 'information' ? [[e.record.text, e.record.tags]] : []));
    expect(information).toEqual([
      ['info', []],
      ['host', ['PSHOST']],
    ]);
    const progress = run.events.find((e) => e.type === 'progress');
    expect(progress?.type === 'progress' && progress.record).toMatchObject({
      activity: 'act',
      statusDescription: 'stat',
      percentComplete: 50,
      recordType: 'Processing',
    });
  });

  it('answers Read-Host and Read-Host -Prompt through host calls', async () => {
    const methods: string[] = [];
    const run = await driver.run(scriptPipeline("Read-Host; Read-Host -Prompt 'Name'"), {
      onHostCall: (call, pool) => {
        methods.push(call.method);
        if (call.method === 'ReadLine') pool.answerHostCall(call, { result: 'typed line' });
        else if (call.method === 'Prompt') {
          const [field] = call.parameters.descriptions;
          pool.answerHostCall(call, { result: new Map([[field?.name ?? '', 'alice']]) });
        } else return false;
        return true;
      },
    });
    expect(methods).toEqual(['ReadLine', 'Prompt']);
    expect(run.output).toEqual([primitive('String', 'typed line'), primitive('String', 'alice')]);
  });

  it('round-trips a secret through Read-Host -AsSecureString (RSA/AES session key)', async () => {
    const run = await driver.run(
      scriptPipeline('$s = Read-Host -AsSecureString; [System.Net.NetworkCredential]::new("", $s).Password; $s'),
      {
        onHostCall: (call, pool) => {
          if (call.method !== 'ReadLineAsSecureString') return false;
          pool.answerHostCall(call, { result: new SecureText(SECRET) });
          return true;
        },
      },
    );
    expect(driver.pool.secureStringsReady).toBe(true);
    expect(driver.events.filter((e) => e.type === 'keyExchanged')).toHaveLength(1);
    expect(run.output[0]).toEqual(primitive('String', SECRET));
    expect(driver.pool.revealSecureString(run.output[1] as PSPrimitive)).toBe(SECRET);
  });

  it('answers PromptForChoice and Get-Credential', async () => {
    const choice = await driver.run(
      scriptPipeline(
        "$host.UI.PromptForChoice('Title', 'Pick one', [System.Management.Automation.Host.ChoiceDescription[]]@('&Yes', '&No'), 1)",
      ),
      {
        onHostCall: (call, pool) => {
          if (call.method !== 'PromptForChoice') return false;
          expect(call.parameters).toMatchObject({ caption: 'Title', message: 'Pick one', defaultChoice: 1 });
          expect(call.parameters.choices.map((c) => c.label)).toEqual(['&Yes', '&No']);
          pool.answerHostCall(call, { result: 0 });
          return true;
        },
      },
    );
    expect(choice.output).toEqual([primitive('Int32', 0)]);
    const credential = await driver.run(
      scriptPipeline(
        "$c = Get-Credential -UserName alice -Message 'Sign in'; $c.UserName; $c.GetNetworkCredential().Password",
      ),
      {
        onHostCall: (call, pool) => {
          if (call.method !== 'PromptForCredential1' && call.method !== 'PromptForCredential2') return false;
          expect(call.parameters.userName).toBe('alice');
          pool.answerHostCall(call, { result: new Credential('alice', new SecureText(SECRET)) });
          return true;
        },
      },
    );
    expect(credential.output).toEqual([primitive('String', 'alice'), primitive('String', SECRET)]);
  });

  it('declines a host call it does not implement, so the command fails instead of hanging', async () => {
    const run = await driver.run(scriptPipeline('$host.UI.ReadLine()'), { onHostCall: () => false });
    const messages = [...run.errors.map((e) => e.message), run.failure?.message ?? ''];
    expect(messages.join(' ')).toMatch(/does not implement ReadLine/);
  });

  it('feeds pipeline input objects', async () => {
    const run = await driver.run(scriptPipeline('$input | ForEach-Object { $_ * 2 }'), { input: [1, 2, 3, 'ab'] });
    expect(run.output).toEqual([...[2, 4, 6].map((n) => primitive('Int32', n)), primitive('String', 'abab')]);
    const hashtable = await driver.run(scriptPipeline('$input | ForEach-Object { $_.a + $_.Count }'), {
      input: [new Map([['a', 40]]), [1, 2]],
    });
    expect(hashtable.output[0]).toEqual(primitive('Int32', 41));
  });

  it('stops Start-Sleep 600 within 2 s', async () => {
    const started = Date.now();
    let stopRequestedAt = 0;
    const run = await driver.run(scriptPipeline('Start-Sleep 600'), {
      whenRunning: (pipelineId) => {
        setTimeout(() => {
          stopRequestedAt = Date.now();
          driver.pool.pipeline(pipelineId)?.stop();
          driver.flush();
        }, 300);
      },
      timeoutMs: 10_000,
    });
    expect(run.state).toBe('Stopped');
    expect(Date.now() - stopRequestedAt).toBeLessThan(2_000);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('answers GET_COMMAND_METADATA with a count and one CommandMetadata per command', async () => {
    const pipelineId = newId();
    const pipeline = driver.pool.getCommandMetadata(
      { names: ['Get-Date', 'Get-Item'], commandTypes: ['Cmdlet'] },
      pipelineId,
    );
    pipeline.invoke();
    driver.flush();
    await driver.waitFor(
      (e) => e.type === 'pipelineStateChanged' && e.pipelineId === pipelineId && e.state === 'Completed',
    );
    const output = driver.events.flatMap((e) => (e.type === 'output' && e.pipelineId === pipelineId ? [e.value] : []));
    expect((output[0] as PSObject).property('Count')).toEqual(primitive('Int32', 2));
    expect(output.slice(1).map((value) => textOf((value as PSObject).property('Name') ?? null))).toEqual([
      'Get-Date',
      'Get-Item',
    ]);
  });

  it('round-trips every CLIXML primitive as an argument, one statement each', async () => {
    const values: PSPrimitive[] = [
      primitive('String', 'tab\there _x0041_ 𝄞 \u0001'),
      primitive('Char', 0x263a),
      primitive('Boolean', true),
      primitive('DateTime', new PSDateTime(2024, 2, 29, 23, 59, 58, 1234567, 'Z')),
      primitive('TimeSpan', new PSTimeSpan(-(10n ** 12n + 5n))),
      primitive('Byte', 255),
      primitive('SByte', -128),
      primitive('UInt16', 65535),
      primitive('Int16', -32768),
      primitive('UInt32', 4294967295),
      primitive('Int32', -2147483648),
      primitive('UInt64', 18446744073709551615n),
      primitive('Int64', -9223372036854775808n),
      primitive('Single', Math.fround(1.5e-7)),
      primitive('Double', -1.2345678901234567e300),
      primitive('Decimal', '79228162514264337593543950335'),
      primitive('ByteArray', Uint8Array.from([0, 1, 254, 255])),
      primitive('Guid', '0f8fad5b-d9cb-469f-a165-70867728950e'),
      primitive('Uri', 'https://example.com/a?b=c&d'),
      primitive('Version', new PSVersion(1, 2, 3, 4)),
      primitive('XmlDocument', '<root a="1"><child>text</child></root>'),
      primitive('ProgressRecord', {
        activity: 'copy',
        activityId: 3,
        statusDescription: 'half',
        currentOperation: null,
        parentActivityId: -1,
        percentComplete: 50,
        secondsRemaining: 9,
        recordType: 'Processing',
      }),
    ];
    const echo = (value: PSValue | SecureText): CommandSpec[] => [
      { command: 'Write-Output', arguments: [{ name: 'InputObject', value }, { name: 'NoEnumerate' }] },
    ];
    const run = await driver.run({
      statements: [...values.map(echo), echo(new SecureText(SECRET)), echo(primitive('ScriptBlock', '1 + 1'))],
    });
    expect(run.state).toBe('Completed');
    expect(run.output).toHaveLength(values.length + 2);
    values.forEach((value, index) => expect(run.output[index], value.kind).toEqual(value));
    expect(driver.pool.revealSecureString(run.output[values.length] as PSPrimitive)).toBe(SECRET);
    // pwsh rebuilds a ScriptBlock from CLIXML as its text, for safety.
    expect(textOf(run.output[values.length + 1] ?? null)).toBe('1 + 1');
  });
});

describe('a client announcing protocol 2.4 to pwsh 7.6', () => {
  it('sends SecureStrings as plain base64 without a key exchange', async () => {
    const pool = new RunspacePool({
      runspacePoolId: newId(),
      host: hostWithUI(),
      capability: { ...CLIENT_CAPABILITY, protocolVersion: PROTOCOL_2_4 },
    });
    const driver = await PwshStdioDriver.open(pool);
    try {
      expect(pool.serverCapability?.protocolVersion).toEqual(PROTOCOL_2_4);
      expect(pool.secureStringsReady).toBe(true);
      const run = await driver.run(
        scriptPipeline('$s = Read-Host -AsSecureString; [System.Net.NetworkCredential]::new("", $s).Password; $s'),
        {
          onHostCall: (call, p) => {
            if (call.method !== 'ReadLineAsSecureString') return false;
            p.answerHostCall(call, { result: new SecureText(SECRET) });
            return true;
          },
        },
      );
      expect(run.output[0]).toEqual(primitive('String', SECRET));
      const secure = run.output[1] as PSPrimitive;
      expect(Buffer.from(secure.value as string, 'base64').toString('utf16le')).toBe(SECRET);
      expect(driver.events.some((e) => e.type === 'keyExchanged')).toBe(false);
      expect(PROTOCOL_2_3.compareTo(PROTOCOL_2_4)).toBeLessThan(0);
    } finally {
      expect(await driver.close()).toBe(PWSH_EXIT_AFTER_EOF);
      driver.kill();
    }
  }, 30_000);
});
