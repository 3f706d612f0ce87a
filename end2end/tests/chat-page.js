// What the chat tests do on a chat page (`/chat/:room`, Leptos or React): say a line, and wait
// until a line is heard.

/** Says `text` on a chat page. */
export async function say(page, text) {
  await page.getByTestId('chat-input').fill(text);
  await page.getByTestId('chat-send').click();
}

/** Waits until the page shows `line` among its chat messages. */
export async function heard(page, line) {
  await page.waitForFunction(
    (expected) =>
      [...document.querySelectorAll('[data-testid="chat-message"]')].some((li) => li.textContent === expected),
    line,
    { timeout: 10_000 },
  );
}
