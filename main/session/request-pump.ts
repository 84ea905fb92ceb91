import type { AnyWSManRequest } from '../../core/wsman';
import type { TransportLanes } from './transport-lanes';

/** The sans-IO side of a session as the pump sees it: requests out, responses (faults included) in. */
export interface WSManMachine {
  dataToSend(): AnyWSManRequest | undefined;
  receive(request: AnyWSManRequest, response: Uint8Array): void;
}

export interface PumpHooks {
  /** After each response the machine took: read its events. */
  readonly progressed: () => void;
  /** The first transport or protocol failure; the pump issues nothing after it. */
  readonly failed: (error: Error) => void;
}

/**
 * The async driver loop of DESIGN.md §3, shared by every session kind: hands each request the machine has
 * ready to the transport lanes (several may be outstanding, e.g. a long-polling Receive beside a Signal),
 * feeds each response back, lets the owner read the events, and asks again. The machine decides what to
 * send, including the next Receive after an empty one; the pump never sends anything on its own.
 */
export class RequestPump {
  readonly #lanes: TransportLanes;
  readonly #machine: WSManMachine;
  readonly #hooks: PumpHooks;
  #stopped = false;

  constructor(lanes: TransportLanes, machine: WSManMachine, hooks: PumpHooks) {
    this.#lanes = lanes;
    this.#machine = machine;
    this.#hooks = hooks;
  }

  /** Sends everything the machine has ready now. Call after every action on the machine. */
  pump(): void {
    while (!this.#stopped) {
      let request: AnyWSManRequest | undefined;
      try {
        request = this.#machine.dataToSend();
      } catch (error) {
        this.#fail(error);
        return;
      }
      if (request === undefined) return;
      void this.#exchange(request);
    }
  }

  /** Stops issuing and ignores the responses still to come (their connections are being closed). */
  stop(): void {
    this.#stopped = true;
  }

  async #exchange(request: AnyWSManRequest): Promise<void> {
    try {
      const response = await this.#lanes.post(request);
      if (this.#stopped) return;
      this.#machine.receive(request, response);
      this.#hooks.progressed();
    } catch (error) {
      if (!this.#stopped) this.#fail(error);
      return;
    }
    this.pump();
  }

  #fail(error: unknown): void {
    this.#stopped = true;
    this.#hooks.failed(error instanceof Error ? error : new Error(String(error)));
  }
}
