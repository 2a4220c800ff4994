/** Inline SVG icons (stroke style, 24x24 grid); decorative, so hidden from assistive tech. */
const Svg = ({ d }: { d: string }) => (
  <svg viewBox="0 0 24 24" aria-hidden="true" focusable="false">
    <path d={d} />
  </svg>
);

export const ChatIcon = () => <Svg d="M21 12a8 8 0 0 1-11.6 7.1L4 20l1-4.6A8 8 0 1 1 21 12z" />;
export const CloseIcon = () => <Svg d="M18 6 6 18M6 6l12 12" />;
export const PlusIcon = () => <Svg d="M12 5v14M5 12h14" />;
export const ExpandIcon = () => <Svg d="M15 3h6v6M9 21H3v-6M21 3l-7 7M3 21l7-7" />;
export const CollapseIcon = () => <Svg d="M4 14h6v6M20 10h-6V4M14 10l7-7M3 21l7-7" />;
export const SendIcon = () => <Svg d="M5 12h14M13 6l6 6-6 6" />;
export const StopIcon = () => <Svg d="M7 7h10v10H7z" />;
export const HistoryIcon = () => <Svg d="M3 12a9 9 0 1 0 2.6-6.4L3 8M3 3v5h5M12 7v5l3 2" />;
export const TrashIcon = () => <Svg d="M4 7h16M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3" />;
export const BackIcon = () => <Svg d="M15 18l-6-6 6-6" />;
/** Thumbs up; `.cp-down` turns it upside down. */
export const ThumbIcon = () => <Svg d="M7 11v9H4v-9h3zm0 0 4-8c1.4 0 2.4 1 2.3 2.4L13 9h5.4a2 2 0 0 1 2 2.4l-1.3 6.9a2 2 0 0 1-2 1.7H7" />;
export const ClipIcon = () => <Svg d="M21 11.5 12.5 20a5 5 0 0 1-7-7l8.5-8.5a3.3 3.3 0 0 1 4.7 4.7L10.2 17.7a1.7 1.7 0 0 1-2.4-2.4L15.5 7.6" />;
