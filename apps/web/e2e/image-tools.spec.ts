import { expect, test, type Locator } from "@playwright/test";

/** The image's pan (percent), zoom, rotation and filter, read from its inline style. */
async function view(image: Locator) {
  const { transform, filter } = await image.evaluate((el: HTMLElement) => ({ transform: el.style.transform, filter: el.style.filter }));
  const m = /^translate\((-?[\d.]+)%, (-?[\d.]+)%\) scale\(([\d.]+)\) rotate\((\d+)deg\)$/.exec(transform);
  expect(m, transform).not.toBeNull();
  const [x, y, zoom, rotation] = m!.slice(1).map(Number) as [number, number, number, number];
  // Whole percent: a drag moves by whole pixels of a frame whose border is not part of its width.
  return { x: Math.round(x), y: Math.round(y), zoom, rotation, filter };
}

test("the galaxy image zooms, pans by drag and by arrow keys within its frame, rotates, inverts and resets", async ({ page }) => {
  await page.goto("/classify");
  const frame = page.getByTestId("galaxy-image");
  const image = frame.getByRole("img");
  await expect(image).toBeVisible();
  expect(await view(image)).toEqual({ x: 0, y: 0, zoom: 1, rotation: 0, filter: "brightness(1)" });

  // At 1x there is nothing outside the frame to pan to.
  await frame.focus();
  await page.keyboard.press("ArrowLeft");
  expect(await view(image)).toMatchObject({ x: 0, y: 0 });

  await page.getByRole("button", { name: "Zoom in" }).click();
  await page.getByRole("button", { name: "Zoom in" }).click();
  await frame.focus();
  await page.keyboard.press("ArrowLeft");
  await page.keyboard.press("ArrowLeft");
  await page.keyboard.press("ArrowDown");
  expect(await view(image)).toMatchObject({ x: 10, y: -5, zoom: 2 });

  // Dragging moves the image with the pointer, a fifth of the frame left and a tenth down...
  const box = (await frame.boundingBox())!;
  const [cx, cy] = [box.x + box.width / 2, box.y + box.height / 2];
  await page.mouse.move(cx, cy);
  await page.mouse.down();
  await page.mouse.move(cx - box.width / 5, cy + box.height / 10);
  await page.mouse.up();
  expect(await view(image)).toMatchObject({ x: -10, y: 5 });
  // ... and no further than the zoomed image's edge (at 2x, half the frame each way).
  await page.mouse.move(cx, cy);
  await page.mouse.down();
  await page.mouse.move(cx - box.width, cy);
  await page.mouse.up();
  expect(await view(image)).toMatchObject({ x: -50, y: 5 });

  await page.getByRole("button", { name: "Rotate a quarter turn" }).click();
  const invert = page.getByRole("button", { name: "Invert" });
  await invert.click();
  await expect(invert).toHaveAttribute("aria-pressed", "true");
  expect(await view(image)).toMatchObject({ rotation: 90, filter: "brightness(1) invert(1)" });

  // Zooming out pulls the image back inside the frame.
  await page.getByRole("button", { name: "Zoom out" }).click();
  expect(await view(image)).toMatchObject({ x: -25, y: 5, zoom: 1.5 });

  await page.getByLabel("Brightness").fill("1.8");
  expect(await view(image)).toMatchObject({ filter: "brightness(1.8) invert(1)" });

  await page.getByRole("button", { name: "Reset" }).click();
  expect(await view(image)).toEqual({ x: 0, y: 0, zoom: 1, rotation: 0, filter: "brightness(1)" });
  await expect(invert).toHaveAttribute("aria-pressed", "false");
});

test.describe("on a phone", () => {
  test.use({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });

  test("a finger drags the zoomed image", async ({ page }) => {
    await page.goto("/classify");
    const frame = page.getByTestId("galaxy-image");
    const image = frame.getByRole("img");
    await expect(image).toBeVisible();
    await page.getByRole("button", { name: "Zoom in" }).tap();
    await page.getByRole("button", { name: "Zoom in" }).tap();
    const box = (await frame.boundingBox())!;
    const [cx, cy] = [box.x + box.width / 2, box.y + box.height / 2];
    // Real touch input, as the touchscreen sends it (Playwright's own touchscreen only taps).
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: [{ x: cx, y: cy }] });
    for (let i = 1; i <= 5; i++) {
      await cdp.send("Input.dispatchTouchEvent", { type: "touchMove", touchPoints: [{ x: cx + (i * box.width) / 25, y: cy - (i * box.height) / 50 }] });
    }
    await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
    expect(await view(image)).toMatchObject({ x: 20, y: -10, zoom: 2 });
  });
});
