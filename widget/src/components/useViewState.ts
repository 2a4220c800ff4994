import { useEffect, useState } from "preact/hooks";
import type { Controller, ViewState } from "../controller";

/** Re-render when the controller's state changes. */
export function useViewState(controller: Controller): ViewState {
  const [state, setState] = useState(controller.getState());
  useEffect(() => {
    const unsubscribe = controller.subscribe(setState);
    setState(controller.getState());
    return unsubscribe;
  }, [controller]);
  return state;
}
