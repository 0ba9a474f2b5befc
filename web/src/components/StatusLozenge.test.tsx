// @vitest-environment jsdom
import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, expect, it } from "vitest";
import { StatusLozenge } from "./StatusLozenge.tsx";

afterEach(cleanup);

it("says a queued deploy is downloading while its archive comes from Bitbucket", () => {
  render(
    <>
      <StatusLozenge status="queued" phase="downloading" />
      <StatusLozenge status="queued" />
    </>,
  );
  expect(screen.getByText("Downloading")).toBeTruthy();
  expect(screen.getByText("Queued")).toBeTruthy();
});
