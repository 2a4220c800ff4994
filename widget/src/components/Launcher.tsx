import { useEffect, useRef } from "preact/hooks";
import type { Controller, ViewState } from "../controller";
import { ChatIcon, CloseIcon } from "./icons";

/** The round button that opens and closes the panel. */
export function Launcher({ controller, state }: { controller: Controller; state: ViewState }) {
  const ref = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const el = ref.current;
    controller.launcher = el;
    return () => {
      if (controller.launcher === el) controller.launcher = null;
    };
  }, [controller]);
  const { imageUrl, className } = controller.config.button;
  return (
    <button
      ref={ref}
      type="button"
      class={className ? `cp-launcher ${className}` : "cp-launcher"}
      aria-label={state.open ? `Close ${state.title}` : `Open ${state.title}`}
      aria-expanded={state.open ? "true" : "false"}
      aria-haspopup="dialog"
      onClick={() => controller.toggle()}
    >
      {imageUrl ? <img src={imageUrl} alt="" /> : state.open ? <CloseIcon /> : <ChatIcon />}
    </button>
  );
}
