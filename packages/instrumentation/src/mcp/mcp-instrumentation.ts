import { InstrumentationBase, InstrumentationNodeModuleDefinition, InstrumentationNodeModuleFile } from '@opentelemetry/instrumentation';
import { TRACER_NAME } from '../tracer-name.js';
import { hookCommonJsTransport } from './commonjs-hook.js';
import type { StdioTransportModule, StdioTransportPrototype } from './stdio-transport.js';

const SDK = '@modelcontextprotocol/sdk';
/** The SDK versions whose StdioClientTransport the door knows: 1.x. */
const SUPPORTED_VERSIONS = ['>=1.0.0 <2'];
/**
 * The transport's module in the SDK's ESM and CommonJS builds: an app imports one or requires the
 * other. The CommonJS one is also hooked by name (commonjs-hook.ts), which is what patches it in 1.x.
 */
const TRANSPORT_FILES = [`${SDK}/dist/esm/client/stdio.js`, `${SDK}/dist/cjs/client/stdio.js`];

/** Capture or playback of the stdio transport: patches its prototype, returns the undo. */
export interface McpTransportDoor {
  patch(proto: StdioTransportPrototype): () => void;
}

/**
 * Puts the MCP door into the official SDK's StdioClientTransport as the app requires or imports it
 * (import-in-the-middle hands over the ESM module's namespace, whose class is the one the app
 * gets): the class's prototype is patched, so every transport the app makes is the door's.
 */
export class McpInstrumentation extends InstrumentationBase {
  /** The module this door patches, as replayTape's `clients` option names it: the transport's, which `patchLoaded` takes. */
  readonly moduleName = `${SDK}/client/stdio.js`;
  private readonly restore = new Map<StdioTransportPrototype, () => void>();
  private unhookCommonJs: (() => void) | undefined;

  constructor(private readonly door: McpTransportDoor) {
    super(`${TRACER_NAME}/mcp`, '0.1.0', {});
    // The base class enables before this class's fields exist: the first hook is put here.
    this.hookCommonJs();
  }

  override enable(): void {
    super.enable();
    if (this.door) this.hookCommonJs();
  }

  override disable(): void {
    super.disable();
    this.unhookCommonJs?.();
    this.unhookCommonJs = undefined;
    for (const undo of this.restore.values()) undo();
    this.restore.clear();
  }

  /** Patches a transport module the app already holds (a test runner's own loader). Returns the undo. */
  patchLoaded(moduleExports: unknown): () => void {
    this.patchModule(moduleExports as StdioTransportModule);
    return () => this.unpatchModule(moduleExports as StdioTransportModule);
  }

  protected init(): InstrumentationNodeModuleDefinition {
    const files = TRANSPORT_FILES.map(
      (file) =>
        new InstrumentationNodeModuleFile(
          file,
          SUPPORTED_VERSIONS,
          (moduleExports: StdioTransportModule) => {
            this.patchModule(moduleExports);
            return moduleExports;
          },
          (moduleExports?: StdioTransportModule) => {
            if (moduleExports) this.unpatchModule(moduleExports);
          },
        ),
    );
    return new InstrumentationNodeModuleDefinition(SDK, SUPPORTED_VERSIONS, undefined, undefined, files);
  }

  private hookCommonJs(): void {
    this.unhookCommonJs ??= hookCommonJsTransport((moduleExports) => this.patchModule(moduleExports as StdioTransportModule));
  }

  private patchModule(moduleExports: StdioTransportModule): void {
    const proto = moduleExports.StdioClientTransport?.prototype;
    // Once per class: the same module can be handed over again (a second hook, patchLoaded).
    if (!proto || this.restore.has(proto)) return;
    this.restore.set(proto, this.door.patch(proto));
  }

  private unpatchModule(moduleExports: StdioTransportModule): void {
    const proto = moduleExports.StdioClientTransport?.prototype;
    if (!proto) return;
    this.restore.get(proto)?.();
    this.restore.delete(proto);
  }
}
