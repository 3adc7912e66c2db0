import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { backend, unwrap } from "../api/client";
import { useMe } from "../auth/AuthContext";
import { Button, ErrorAlert, TextAreaField, TextField } from "../ui";
import {
  EMPTY_CONTACT,
  contactFormErrors,
  createBody,
  localProblems,
  patchBody,
  valuesOf,
  type Contact,
  type ContactField,
  type ContactFormErrors,
  type ContactValues,
} from "./contactLogic";

const NO_ERRORS: ContactFormErrors = { fields: {}, general: null };

/** Creates a contact (no `contact`) or edits one; field errors from the API appear at their fields. */
export function ContactForm({
  contact,
  onSaved,
  onCancel,
}: {
  contact?: Contact;
  onSaved: (contact: Contact) => void;
  onCancel: () => void;
}) {
  const me = useMe();
  const queryClient = useQueryClient();
  const [values, setValues] = useState<ContactValues>(contact ? valuesOf(contact) : EMPTY_CONTACT);
  const [errors, setErrors] = useState<ContactFormErrors>(NO_ERRORS);
  const area = contact ? "contacts-edit" : "contacts-new";

  const save = useMutation({
    mutationFn: async () => {
      if (!contact) return unwrap(await backend.POST("/api/v1/contacts", { body: createBody(values) }));
      const patch = patchBody(contact, values);
      if (Object.keys(patch).length === 0) return contact;
      return unwrap(
        await backend.PATCH("/api/v1/contacts/{contact_id}", { params: { path: { contact_id: contact.id } }, body: patch }),
      );
    },
    onSuccess: (saved) => {
      setErrors(NO_ERRORS);
      queryClient.setQueryData(["contact", me.organization_id, saved.id], saved);
      void queryClient.invalidateQueries({ queryKey: ["contacts", me.organization_id] });
      onSaved(saved);
    },
    onError: (caught) => setErrors(contactFormErrors(caught)),
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    const problems = localProblems(values);
    if (Object.keys(problems).length > 0) {
      setErrors({ fields: problems, general: { message: "Some fields need attention.", fields: [] } });
      return;
    }
    save.mutate();
  }

  function field(name: ContactField) {
    return {
      value: values[name],
      error: errors.fields[name],
      onChange: (event: { target: { value: string } }) => setValues((before) => ({ ...before, [name]: event.target.value })),
      "data-testid": `${area}-${name.replace("_", "-")}`,
    };
  }

  return (
    <form
      onSubmit={submit}
      noValidate
      aria-labelledby={`${area}-heading`}
      className="flex flex-col gap-4 rounded-lg bg-white p-4 shadow-sm"
      data-testid={`${area}-form`}
    >
      <h2 id={`${area}-heading`} className="text-lg font-semibold">
        {contact ? "Edit contact" : "New contact"}
      </h2>
      <ErrorAlert error={errors.general} testId={`${area}-error`} />
      <div className="grid gap-3 sm:grid-cols-2">
        <TextField label="First name" required maxLength={100} autoComplete="off" {...field("first_name")} />
        <TextField label="Last name" maxLength={100} autoComplete="off" {...field("last_name")} />
        <TextField label="Email" type="email" maxLength={254} autoComplete="off" {...field("email")} />
        <TextField label="Phone" type="tel" maxLength={40} autoComplete="off" hint="With the country code, e.g. +49 30 1234567" {...field("phone")} />
      </div>
      <TextField label="Tags" maxLength={1100} hint="Separated by commas, e.g. vip, newsletter" {...field("tags")} />
      <TextAreaField label="Notes" rows={4} maxLength={5000} {...field("notes")} />
      <div className="flex flex-wrap gap-2">
        <Button type="submit" disabled={save.isPending} data-testid={`${area}-submit`}>
          {save.isPending ? "Saving…" : contact ? "Save changes" : "Create contact"}
        </Button>
        <Button variant="secondary" onClick={onCancel} data-testid={`${area}-cancel`}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
