import { type KeyboardEvent, type ReactNode, type RefObject, useEffect, useRef, useState } from "react";

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

type Props = {
  title: string;
  onCancel: () => void;
  children: ReactNode;
  /** Focused first; defaults to the first focusable element. Cancel is the safe choice. */
  initialFocus?: RefObject<HTMLElement | null>;
};

/**
 * A modal: focus moves in on open and back to where it was on close, Tab cycles inside,
 * Esc cancels. Written here rather than <dialog> because jsdom and older hosts lack showModal.
 */
export function Dialog({ title, onCancel, children, initialFocus }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const cancel = useRef(onCancel);
  cancel.current = onCancel;
  // Inside a Connect iframe sized to its content the iframe's viewport is the whole panel, so a
  // dialog pinned to its top may be scrolled out of sight on the host page: open it beside the
  // button that opened it instead.
  const [top] = useState(() => {
    const opener = document.activeElement;
    const y = opener instanceof HTMLElement && opener !== document.body ? opener.getBoundingClientRect().top : 48;
    return Math.max(8, Math.min(y - 160, window.innerHeight - 320));
  });

  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    const first = initialFocus?.current ?? box.current?.querySelector<HTMLElement>(FOCUSABLE);
    (first ?? box.current)?.focus();
    return () => previous?.focus?.();
  }, [initialFocus]);

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === "Escape") {
      e.stopPropagation();
      cancel.current();
      return;
    }
    if (e.key !== "Tab" || !box.current) return;
    const items = [...box.current.querySelectorAll<HTMLElement>(FOCUSABLE)];
    if (items.length === 0) {
      e.preventDefault();
      return;
    }
    const first = items[0] as HTMLElement;
    const last = items.at(-1) as HTMLElement;
    const inside = box.current.contains(document.activeElement);
    if (e.shiftKey && (document.activeElement === first || !inside)) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && (document.activeElement === last || !inside)) {
      e.preventDefault();
      first.focus();
    }
  };

  return (
    <div className="dialog__backdrop" style={{ paddingTop: Math.max(8, top) }}>
      <div
        ref={box}
        className="dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="dialog-title"
        tabIndex={-1}
        onKeyDown={onKeyDown}
      >
        <h2 id="dialog-title" className="dialog__title">
          {title}
        </h2>
        {children}
      </div>
    </div>
  );
}
