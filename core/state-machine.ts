import { InvalidStateError } from './errors';

/**
 * One transition table per state machine: for each action, the states it may be taken in and the
 * state it leads to. Every machine of the core moves only through `transition`, so an illegal move
 * always throws the same InvalidStateError naming the action, the state and the states allowed.
 */
export type TransitionTable<S extends string, A extends string> = {
  readonly [action in A]: {
    readonly from: readonly S[];
    /** The next state; `undefined` keeps the current one (an action that is legal but does not move). */
    readonly to: S | undefined;
  };
};

export class StateMachine<S extends string, A extends string> {
  #state: S;

  constructor(
    readonly name: string,
    private readonly table: TransitionTable<S, A>,
    initial: S,
  ) {
    this.#state = initial;
  }

  get state(): S {
    return this.#state;
  }

  /** Whether `action` is legal now, without taking it. */
  can(action: A): boolean {
    return this.table[action].from.includes(this.#state);
  }

  /** Takes `action`: moves to its target state, or throws InvalidStateError when it is illegal now. */
  transition(action: A): S {
    const entry = this.table[action];
    if (!entry.from.includes(this.#state)) {
      throw new InvalidStateError(this.name, action, this.#state, entry.from);
    }
    if (entry.to !== undefined) this.#state = entry.to;
    return this.#state;
  }

  /** The states in which `action` is legal (for error messages and UI enablement). */
  allowedStates(action: A): readonly S[] {
    return this.table[action].from;
  }
}
