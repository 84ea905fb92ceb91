import type { TestProject } from 'vitest/node';
import { RunningLab, type LabDescriptor } from './lab';

declare module 'vitest' {
  export interface ProvidedContext {
    lab: LabDescriptor;
  }
}

/** Starts one lab for the protocol test project and hands its descriptor to the tests (`inject('lab')`). */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const lab = await RunningLab.start(['--enable-basic', '--enable-certificate', '--enable-credssp']);
  project.provide('lab', lab.descriptor);
  return async () => {
    const code = await lab.stop();
    if (code !== 0) throw new Error(`the lab exited with code ${code} on SIGTERM`);
  };
}
