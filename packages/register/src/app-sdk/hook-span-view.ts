/**
 * The spans of an app provider's own tracers as the hook's processing sees them: under the hook's
 * resource, which files a process's spans under its process path in the recording (the app's
 * resource has none, so a child process's calls were counted in the run's first process), and
 * otherwise the span itself, live, since the app goes on writing to it until it ends. A span gets
 * one view, the same object from start to end: processors keep spans by identity.
 */
export class HookSpanViews {
  private readonly views = new WeakMap<object, object>();

  /** `resource`: the hook's, once known; before that a span is seen as it is. */
  constructor(private readonly resource: () => object | undefined) {}

  of<T extends object>(span: T): T {
    const known = this.views.get(span);
    if (known) return known as T;
    const resource = this.resource();
    // Before the hook's resource is known (a replay, which records nothing): the span as it is,
    // kept so that its end is seen as the same object as its start.
    if (!resource) {
      this.views.set(span, span);
      return span;
    }
    const view = new Proxy(span, { get: (target, key, receiver) => (key === 'resource' ? resource : Reflect.get(target, key, receiver)) });
    this.views.set(span, view);
    // The SDK hands a span ended through its view (a call recorded at exit) back as that view.
    this.views.set(view, view);
    return view;
  }
}
