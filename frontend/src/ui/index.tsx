// The small design system: buttons, labelled inputs, tables, a confirmation dialog, alerts.
import { useEffect, useId, useRef, type ButtonHTMLAttributes, type InputHTMLAttributes, type ReactNode } from "react";
import type { UserError } from "../api/problem";

const focus = "focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600";

type Variant = "primary" | "secondary" | "danger";
const variants: Record<Variant, string> = {
  primary: "bg-indigo-700 text-white hover:bg-indigo-800",
  secondary: "bg-white text-slate-900 ring-1 ring-slate-300 hover:bg-slate-50",
  danger: "bg-red-700 text-white hover:bg-red-800",
};

export function Button({
  variant = "primary",
  className = "",
  ...props
}: ButtonHTMLAttributes<HTMLButtonElement> & { variant?: Variant; "data-testid": string }) {
  return (
    <button
      type="button"
      className={`inline-flex items-center justify-center rounded-md px-3 py-2 text-sm font-semibold disabled:opacity-60 ${variants[variant]} ${focus} ${className}`}
      {...props}
    />
  );
}

type FieldProps = { label: string; error?: string; hint?: string; "data-testid": string };

/** A control with its label, and its hint or error tied to it (`aria-describedby`, `aria-invalid`). */
function LabelledField({
  label,
  error,
  hint,
  control,
}: Omit<FieldProps, "data-testid"> & {
  control: (aria: { id: string; "aria-invalid"?: true; "aria-describedby"?: string; className: string }) => ReactNode;
}) {
  const id = useId();
  const describedBy = error ? `${id}-error` : hint ? `${id}-hint` : undefined;
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor={id} className="text-sm font-medium text-slate-800">
        {label}
      </label>
      {control({
        id,
        "aria-invalid": error ? true : undefined,
        "aria-describedby": describedBy,
        className: `rounded-md border border-slate-400 px-3 py-2 text-sm text-slate-900 ${focus}`,
      })}
      {hint && !error && (
        <p id={`${id}-hint`} className="text-xs text-slate-600">
          {hint}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} className="text-xs text-red-700">
          {error}
        </p>
      )}
    </div>
  );
}

export function TextField({ label, error, hint, ...props }: InputHTMLAttributes<HTMLInputElement> & FieldProps) {
  return <LabelledField label={label} error={error} hint={hint} control={(aria) => <input {...aria} {...props} />} />;
}

/** The required reason of a recorded decision (cancel, void, refund), at most the API's 500 characters. */
export function ReasonField({
  value,
  error,
  onChange,
  "data-testid": testId,
}: {
  value: string;
  error?: string;
  onChange: (value: string) => void;
  "data-testid": string;
}) {
  return (
    <TextField
      label="Reason"
      required
      maxLength={500}
      value={value}
      error={error}
      onChange={(event) => onChange(event.target.value)}
      data-testid={testId}
    />
  );
}

export function SelectField({
  label,
  children,
  ...props
}: React.SelectHTMLAttributes<HTMLSelectElement> & { label: string; "data-testid": string }) {
  const id = useId();
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor={id} className="text-sm font-medium text-slate-800">
        {label}
      </label>
      <select id={id} className={`rounded-md border border-slate-400 bg-white px-3 py-2 text-sm ${focus}`} {...props}>
        {children}
      </select>
    </div>
  );
}

export function TextAreaField({
  label,
  error,
  hint,
  ...props
}: React.TextareaHTMLAttributes<HTMLTextAreaElement> & FieldProps) {
  return (
    <LabelledField label={label} error={error} hint={hint} control={(aria) => <textarea {...aria} {...props} />} />
  );
}

export function ErrorAlert({ error, testId }: { error: UserError | null | undefined; testId: string }) {
  if (!error) return null;
  return (
    <div role="alert" data-testid={testId} className="rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-800">
      <p>{error.message}</p>
      {error.fields.length > 0 && (
        <ul className="mt-1 list-disc pl-5">
          {error.fields.map((field) => (
            <li key={`${field.field}:${field.message}`}>{field.message}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Notice({ children, testId }: { children: ReactNode; testId: string }) {
  return (
    <div role="status" data-testid={testId} className="rounded-md border border-green-300 bg-green-50 p-3 text-sm text-green-900">
      {children}
    </div>
  );
}

/** A scrolling table; `numeric` names the columns of figures, whose headings align right as their cells do. */
export function Table({
  caption,
  head,
  numeric = [],
  children,
  testId,
}: {
  caption: string;
  head: string[];
  numeric?: readonly string[];
  children: ReactNode;
  testId: string;
}) {
  return (
    // `relative` makes this box the containing block of absolutely placed cells' content (an
    // sr-only label is position:absolute): without it such content escapes the scroll box and
    // widens the page, even though the table itself scrolls inside.
    <div className="relative overflow-x-auto rounded-md ring-1 ring-slate-200">
      <table data-testid={testId} className="min-w-full divide-y divide-slate-200 text-left text-sm">
        <caption className="sr-only">{caption}</caption>
        <thead className="bg-slate-50">
          <tr>
            {head.map((title) => (
              <th key={title} scope="col" className={`px-3 py-2 font-semibold text-slate-800 ${numeric.includes(title) ? "text-right" : ""}`}>
                {title}
              </th>
            ))}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100 bg-white">{children}</tbody>
      </table>
    </div>
  );
}

/** A modal confirmation (native <dialog>: focus trap and Escape come with it). */
export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  cancelLabel = "Cancel",
  onConfirm,
  onCancel,
  testId,
}: {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  cancelLabel?: string;
  onConfirm: () => void;
  onCancel: () => void;
  testId: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal?.();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      data-testid={testId}
      onCancel={(event) => {
        event.preventDefault();
        onCancel();
      }}
      className="m-auto w-full max-w-md rounded-lg p-6 shadow-xl backdrop:bg-slate-900/40"
    >
      <h2 id={titleId} className="text-lg font-semibold text-slate-900">
        {title}
      </h2>
      <div className="mt-2 text-sm text-slate-700">{children}</div>
      <div className="mt-6 flex justify-end gap-2">
        <Button variant="secondary" onClick={onCancel} data-testid={`${testId}-cancel`}>
          {cancelLabel}
        </Button>
        <Button variant="danger" onClick={onConfirm} data-testid={`${testId}-confirm`}>
          {confirmLabel}
        </Button>
      </div>
    </dialog>
  );
}
