import express, { type Router } from "express";

/**
 * A stub of Connect's `all.js`, served where add-ons load it from the host
 * (`<xdm_e>/atlassian-connect/all.js`). It implements what a panel calls —
 * resize and sizeToParent, posted to the parent page, which resizes the iframe —
 * plus inert `navigator`, `context`, `events`, `user` and `flag`, and Connect's
 * default of resizing the iframe to its content as it changes.
 */
const ALL_JS = `(function () {
  "use strict";
  var params = new URLSearchParams(window.location.search);
  var host = params.get("xdm_e") || "*";
  function send(type, data) {
    window.parent.postMessage({ sandboxConnect: true, type: type, data: data || {} }, host);
  }
  // The height of the content, not of the viewport: the root's scrollHeight is never less than
  // the iframe's current height, so measuring it would let an iframe grow but never shrink.
  function contentHeight() {
    return Math.ceil(document.documentElement.getBoundingClientRect().height);
  }
  function size(value, fallback) {
    if (value === undefined || value === null || value === "") return fallback;
    return typeof value === "number" ? value + "px" : String(value);
  }
  function answer(cb, value) {
    if (typeof cb === "function") cb(value);
    return Promise.resolve(value);
  }
  var AP = {
    resize: function (width, height) {
      send("resize", { width: size(width, "100%"), height: size(height, contentHeight() + "px") });
    },
    sizeToParent: function () { send("sizeToParent"); },
    navigator: {
      go: function () {},
      reload: function () { window.location.reload(); },
      getLocation: function (cb) { return answer(cb, {}); }
    },
    context: {
      getContext: function (cb) { return answer(cb, {}); },
      getToken: function (cb) { return answer(cb, params.get("jwt") || ""); }
    },
    events: { on: function () {}, off: function () {}, once: function () {}, emit: function () {} },
    user: { getCurrentUser: function (cb) { return answer(cb, {}); } },
    flag: { create: function () { return { close: function () {} }; } }
  };
  window.AP = AP;
  function autoResize() { AP.resize(); }
  window.addEventListener("load", autoResize);
  if (typeof ResizeObserver === "function") {
    var observer = new ResizeObserver(autoResize);
    var start = function () { observer.observe(document.documentElement); };
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
  }
})();
`;

export function connectJsRouter(): Router {
  const router = express.Router();
  router.get("/atlassian-connect/all.js", (_req, res) => {
    res.type("text/javascript").set("cache-control", "no-cache").send(ALL_JS);
  });
  return router;
}
