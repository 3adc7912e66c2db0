import { cleanup, fireEvent, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Link } from "react-router";
import { Shell } from "./Shell";
import { json, renderAt } from "./moneyTestkit";

describe("Shell's phone menu", () => {
  beforeEach(() => {
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => json({ count: 0 })),
    );
  });
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it("opens on the first link, closes with Escape and gives focus back to the button", async () => {
    renderAt("/contacts", "*", <Shell />);
    const button = await screen.findByTestId("shell-menu-button");
    const panel = screen.getByTestId("shell-menu-panel");
    expect(button.getAttribute("aria-expanded")).toBe("false");
    expect(panel.className).toMatch(/(^| )hidden( |$)/);

    fireEvent.click(button);
    expect(button.getAttribute("aria-expanded")).toBe("true");
    expect(panel.className).not.toMatch(/(^| )hidden( |$)/);
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId("shell-nav-dashboard")));

    fireEvent.keyDown(document.activeElement!, { key: "Escape" });
    expect(button.getAttribute("aria-expanded")).toBe("false");
    expect(document.activeElement).toBe(button);
  });

  it("folds after a link is followed and leaves focus on the content", async () => {
    renderAt("/contacts", "*", <Shell />);
    const button = await screen.findByTestId("shell-menu-button");
    fireEvent.click(button);
    fireEvent.click(screen.getByTestId("shell-nav-team"));
    expect(button.getAttribute("aria-expanded")).toBe("false");
    expect(document.activeElement?.id).toBe("main");
  });

  it("folds when another screen is reached some other way, and stays folded on coming back", async () => {
    const elsewhere = (
      <>
        <Shell />
        <Link to="/team" data-testid="content-to-team">Team</Link>
        <Link to="/contacts" data-testid="content-to-contacts">Contacts</Link>
      </>
    );
    renderAt("/contacts", "*", elsewhere);
    const button = await screen.findByTestId("shell-menu-button");
    fireEvent.click(button);
    expect(button.getAttribute("aria-expanded")).toBe("true");
    fireEvent.click(screen.getByTestId("content-to-team"));
    expect(button.getAttribute("aria-expanded")).toBe("false");
    fireEvent.click(screen.getByTestId("content-to-contacts"));
    expect(button.getAttribute("aria-expanded")).toBe("false");
  });

  it("leaves other keys alone", async () => {
    renderAt("/contacts", "*", <Shell />);
    const button = await screen.findByTestId("shell-menu-button");
    fireEvent.click(button);
    fireEvent.keyDown(document, { key: "Tab" });
    expect(button.getAttribute("aria-expanded")).toBe("true");
  });
});
