import type { TestContext } from 'node:test'

/**
 * What a suite's before() hook starts, undone by its after() hook, newest
 * first: helpers written for a test's context (they call only `t.after`)
 * take `cleanup.context`.
 */
export function suiteCleanup (): { context: TestContext, run: () => Promise<void> } {
  const fns: Array<() => unknown> = []
  const context = { after: (fn: () => unknown) => { fns.unshift(fn) } } as unknown as TestContext
  return {
    context,
    async run () {
      for (const fn of fns.splice(0)) await fn()
    }
  }
}
