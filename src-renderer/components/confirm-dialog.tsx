/**
 * A modal confirmation built on <dialog> (focus trapping and Escape come from the browser). Falls back to an
 * inline panel where showModal is missing (jsdom).
 */
import { useEffect, useId, useRef } from 'react';

export function ConfirmDialog(props: {
  open: boolean;
  title: string;
  message: string;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (props.open && !d.open) {
      if (typeof d.showModal === 'function') d.showModal();
      else d.setAttribute('open', '');
    } else if (!props.open && d.open) {
      if (typeof d.close === 'function') d.close();
      else d.removeAttribute('open');
    }
  }, [props.open]);
  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        props.onCancel();
      }}
    >
      {props.open && (
        <>
          <h3 id={titleId}>{props.title}</h3>
          <p>{props.message}</p>
          <div className="row">
            <button type="button" className="danger" onClick={props.onConfirm}>
              {props.confirmLabel}
            </button>
            <button type="button" autoFocus onClick={props.onCancel}>
              Cancel
            </button>
          </div>
        </>
      )}
    </dialog>
  );
}
