import { describe, expect, it } from 'vitest';
import { scriptPipeline } from '../../core/psrp/session';
import { pipelineForScript } from './script-pipeline';

const command = (name: string, args: unknown[] = []) => ({ statements: [[{ command: name, arguments: args }]] });

describe('pipelineForScript', () => {
  it('sends one simple command as that command, so a no-language (JEA) endpoint accepts it', () => {
    expect(pipelineForScript('Get-Date')).toEqual(command('Get-Date'));
    expect(pipelineForScript('  Get-Item  Env:HOME ')).toEqual(command('Get-Item', [{ value: 'Env:HOME' }]));
    expect(pipelineForScript("Get-ChildItem -Path 'C:\\Program Files' -Recurse")).toEqual(
      command('Get-ChildItem', [{ name: 'Path', value: 'C:\\Program Files' }, { name: 'Recurse' }]),
    );
    expect(pipelineForScript('Stop-Service -Name:spooler -Force -WhatIf')).toEqual(
      command('Stop-Service', [{ name: 'Name', value: 'spooler' }, { name: 'Force' }, { name: 'WhatIf' }]),
    );
    expect(pipelineForScript(`Write-Output 'it''s' "two words"`)).toEqual(
      command('Write-Output', [{ value: "it's" }, { value: 'two words' }]),
    );
    expect(pipelineForScript('Microsoft.PowerShell.Utility\\Get-Date')).toEqual(
      command('Microsoft.PowerShell.Utility\\Get-Date'),
    );
  });

  it.each([
    '1..3',
    '$env:USERNAME',
    'Get-Date; Get-Date',
    'Get-Process | Select-Object -First 1',
    'Write-Output "$HOME"',
    "Write-Output 'unterminated",
    'Write-Output (1+1)',
    '"text"',
    'Get-Item @splat',
    'Write-Output x # comment',
    "Write-Output 'a'b",
  ])('keeps %j as a script', (script) => {
    expect(pipelineForScript(script)).toEqual(scriptPipeline(script));
  });
});
