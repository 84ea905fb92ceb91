import { describe, expect, it } from 'vitest';
import { InvalidStateError, ProtocolError, UsageError } from './errors';
import { StateMachine, type TransitionTable } from './state-machine';

type DoorState = 'closed' | 'open' | 'locked';
type DoorAction = 'open' | 'close' | 'lock' | 'unlock' | 'knock';

const doorTable: TransitionTable<DoorState, DoorAction> = {
  open: { from: ['closed'], to: 'open' },
  close: { from: ['open'], to: 'closed' },
  lock: { from: ['closed'], to: 'locked' },
  unlock: { from: ['locked'], to: 'closed' },
  knock: { from: ['closed', 'locked'], to: undefined },
};

describe('StateMachine', () => {
  it('moves through legal transitions', () => {
    const door = new StateMachine('door', doorTable, 'closed');
    expect(door.transition('lock')).toBe('locked');
    expect(door.transition('knock')).toBe('locked');
    expect(door.transition('unlock')).toBe('closed');
    expect(door.transition('open')).toBe('open');
    expect(door.state).toBe('open');
  });

  it('names the action, the state and the allowed states of an illegal move', () => {
    const door = new StateMachine('door', doorTable, 'open');
    let caught: unknown;
    try {
      door.transition('lock');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidStateError);
    expect(caught).toBeInstanceOf(UsageError);
    expect(caught).not.toBeInstanceOf(ProtocolError);
    const invalid = caught as InvalidStateError;
    expect(invalid.action).toBe('lock');
    expect(invalid.state).toBe('open');
    expect(invalid.allowed).toEqual(['closed']);
    expect(invalid.message).toBe('door: cannot lock in state open; allowed in: closed');
    expect(door.state).toBe('open');
  });

  it('answers can() without moving', () => {
    const door = new StateMachine('door', doorTable, 'locked');
    expect(door.can('open')).toBe(false);
    expect(door.can('knock')).toBe(true);
    expect(door.allowedStates('knock')).toEqual(['closed', 'locked']);
    expect(door.state).toBe('locked');
  });
});
