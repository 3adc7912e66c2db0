import { cleanup, fireEvent, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Contacts } from "./Contacts";
import { json, renderAt } from "./moneyTestkit";

const anna = { id: "c1", first_name: "Anna", last_name: "Schmidt", email: "anna@acme.test", phone: null, tags: ["vip"] };

/** GET /contacts answers Anna unless the query is "zz"; every asked `q` is recorded. */
function stubContacts() {
  const asked: (string | null)[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (request: Request) => {
      const url = new URL(request.url);
      if (url.pathname !== "/api/v1/contacts") return json({ title: "Not found" }, 404);
      const q = url.searchParams.get("q");
      asked.push(q);
      return json({ items: q === "zz" ? [] : [anna], next_cursor: null });
    }),
  );
  return asked;
}

describe("Contacts", () => {
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it("lists the contacts, then asks the API with the typed search and says when none match", async () => {
    const asked = stubContacts();
    renderAt("/contacts", "/contacts", <Contacts />, "viewer");
    expect((await screen.findByTestId("contacts-list-open")).textContent).toBe("Anna Schmidt");
    expect(asked).toEqual([null]);

    fireEvent.change(screen.getByTestId("contacts-search-input"), { target: { value: "zz" } });
    expect((await screen.findByTestId("contacts-list-empty")).textContent).toBe("No contacts match “zz”.");
    expect(asked).toEqual([null, "zz"]);
    expect(screen.queryByTestId("contacts-list-row")).toBeNull();
  });

  it("says there are no contacts yet when the organization has none", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => json({ items: [], next_cursor: null })),
    );
    renderAt("/contacts", "/contacts", <Contacts />, "viewer");
    await waitFor(() => expect(screen.getByTestId("contacts-list-empty").textContent).toBe("No contacts yet."));
  });
});
