/** nmstatectl failures: parsing, classification and the activity failure type of each class (pure). */
import { describe, expect, it } from '@jest/globals';
import { errorText, NmstateCommandError, parseNmstateError } from './errors.ts';
import { NodeAgent } from '../node/agent.ts';

describe('nmstatectl error classification', () => {
  const cases: [string, number, string, string, string][] = [
    ['NmstateError: InvalidArgument: Ethernet interface eth9 does not exists', 1, 'apply', 'InvalidArgument', 'invalid-input'],
    ["NmstateError: VerificationError: Verification failure: br2.interface.state desire '\"up\"', current '\"down\"'", 1, 'apply', 'VerificationError', 'verification'],
    ['NmstateError: NotImplementedError: nispor apply does not support route table ID bigger than 255 yet, got 1000, ignoring', 1, 'apply', 'NotImplementedError', 'unsupported'],
    ['NmstateError: PluginFailure: Unknown error from nipsor plugin: Bug, Failed to create interface IfaceConf { name: "vx0" }: Received a netlink error message Operation not supported (os error 95)', 1, 'apply', 'PluginFailure', 'unsupported'],
    ['NmstateError: PluginFailure: Unknown error from nipsor plugin: netlink timeout', 1, 'apply', 'PluginFailure', 'backend'],
    ['NmstateError: Bug: CheckpointConflict: Another checkpoint exists, please wait its timeout or destroy it', 1, 'apply', 'Bug', 'checkpoint-conflict'],
    ['NmstateError: Bug: NotFound: Not active checkpoints', 1, 'rollback', 'Bug', 'no-checkpoint'],
    ['NmstateError: Bug: DbusConnectionError: Failed to connect to address `unix:path=/var/run/dbus/system_bus_socket`: No such file or directory (os error 2)', 1, 'show', 'Bug', 'nm-unavailable'],
    ['NmstateError: Bug: DbusConnectionError: org.freedesktop.DBus.Error.ServiceUnknown: The name org.freedesktop.NetworkManager was not provided by any .service files', 1, 'apply', 'Bug', 'nm-unavailable'],
    ["NmstateError: Bug: Device(CreationFailed): eth1.10 failed to create resources: Failed to create VLAN interface 'eth1.10' for 'eth1.10': Operation not supported", 1, 'apply', 'Bug', 'unsupported'],
    ['NmstateError: Bug: Device(ActivationFailed): br1 failed to activate', 1, 'apply', 'Bug', 'backend'],
    ["NmstateError: InvalidArgument: Unsupported capture keyword 'dns-resolver'", 1, 'policy', 'InvalidArgument', 'capture'],
    ['Provide file is not valid NetworkState or NetworkPolicy: unknown field `interfacs`', 1, 'apply', 'ParseError', 'invalid-input'],
    ['invalid digit found in string', 65, 'apply', 'ParseError', 'invalid-input'],
  ];
  it.each(cases)('given "%s" (exit %d, %s), should read kind and class', (stderr, code, sub, kind, cls) => {
    const p = parseNmstateError(`[2026-11-29T08:04:31Z INFO  nmstatectl] Nmstate version: 2.2.62\n${stderr}\n`, code, sub);
    expect(p.kind).toBe(kind);
    expect(p.class).toBe(cls);
  });

  it('given a three-line PolicyError, should keep the expression and the caret with the message', () => {
    const stderr = 'NmstateError: PolicyError: Failed to find capture nope\n| {{ capture.nope.interfaces.0.name }}\n| ...........^\n';
    const p = parseNmstateError(stderr, 1, 'policy');
    expect(p).toMatchObject({ kind: 'PolicyError', class: 'capture' });
    expect(p.message).toContain('| ...........^');
    expect(errorText(`noise\n${stderr}`)).toMatch(/^NmstateError: PolicyError/);
  });

  it('given a killed command, should report a timeout whatever the output', () => {
    const e = new NmstateCommandError('apply', 143, '', 30_000, true);
    expect(e.parsed.class).toBe('timeout');
    expect(NodeAgent.failureType(e)).toBe('NmstateTimeout');
  });

  it('given each failure class, should map it to the activity failure type', () => {
    const t = (stderr: string, sub = 'apply') => NodeAgent.failureType(new NmstateCommandError(sub, 1, stderr, 1));
    expect(t('NmstateError: InvalidArgument: x')).toBe('InvalidDesiredState');
    expect(t('NmstateError: NotSupportedError: x')).toBe('UnsupportedDesiredState');
    expect(t('NmstateError: VerificationError: x')).toBe('VerificationFailed');
    expect(t('NmstateError: PolicyError: x', 'policy')).toBe('CaptureRenderFailed');
    expect(t('NmstateError: Bug: DbusConnectionError: x')).toBe('NetworkManagerUnavailable');
    expect(t('NmstateError: Bug: CheckpointConflict: Another checkpoint exists, please wait its timeout or destroy it')).toBe('CheckpointConflict');
    expect(t('NmstateError: Bug: NotFound: Not active checkpoints', 'commit')).toBe('CheckpointExpired');
    expect(t('NmstateError: Bug: Device(ActivationFailed): x')).toBe('NmstateFailed');
    expect(NodeAgent.failureType(new Error('journal full'))).toBe('NmstateFailed');
  });
});
