import type { Controller } from "../controller";
import { Launcher } from "./Launcher";
import { Panel } from "./Panel";
import { useViewState } from "./useViewState";

const flag = (on: boolean) => (on ? "" : undefined);

/** Everything in the main shadow root: launcher (unless mounted elsewhere), panel, live region. */
export function App({ controller, withLauncher }: { controller: Controller; withLauncher: boolean }) {
  const state = useViewState(controller);
  const { theme, displayMode } = controller.config;
  return (
    <div class="cp-root" data-theme={theme} data-mode={displayMode} data-floating={flag(withLauncher)} data-open={flag(state.open)}>
      {withLauncher && <Launcher controller={controller} state={state} />}
      <Panel controller={controller} state={state} />
      {/* The one polite live region: each assistant reply once it is complete. */}
      <div class="cp-sr" aria-live="polite" aria-atomic="true">
        {state.announcement}
      </div>
    </div>
  );
}

/** The launcher alone, for `button.containerId` (its own shadow root inside the page's element). */
export function LauncherApp({ controller }: { controller: Controller }) {
  const state = useViewState(controller);
  return (
    <div class="cp-root" data-theme={controller.config.theme} data-open={flag(state.open)}>
      <Launcher controller={controller} state={state} />
    </div>
  );
}
