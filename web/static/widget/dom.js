/* DOM helpers. User and bot text only ever reach the DOM as text nodes (never innerHTML). */

const SVG = "http://www.w3.org/2000/svg";

// el("button", {type: "button", text: "Send", on: {click: f}}, [children]): attributes, text, listeners.
export function el(tag, attrs, children) {
  const node = document.createElement(tag);
  Object.keys(attrs || {}).forEach((k) => {
    if (k === "text") node.textContent = attrs[k];
    else if (k === "on") Object.keys(attrs.on).forEach((e) => node.addEventListener(e, attrs.on[e]));
    else if (attrs[k] !== false && attrs[k] != null) node.setAttribute(k, attrs[k] === true ? "" : attrs[k]);
  });
  (children || []).forEach((c) => { if (c) node.appendChild(c); });
  return node;
}

export function icon() { // a speech bubble, drawn (no emoji font needed)
  const svg = document.createElementNS(SVG, "svg");
  const path = document.createElementNS(SVG, "path");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("class", "sc-icon");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  path.setAttribute("d", "M4 4h16a2 2 0 0 1 2 2v9a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z");
  svg.appendChild(path);
  return svg;
}

function safeHref(url) {
  try {
    const u = new URL(url);
    return ["http:", "https:", "mailto:"].indexOf(u.protocol) >= 0 ? u.href : null;
  } catch {
    return null;
  }
}

function link(text, href) {
  return el("a", { href, target: "_blank", rel: "noopener noreferrer", text });
}

// The markdown subset: **bold**, [text](http/https/mailto), bare links, line breaks. Anything else is text.
const INLINE = /\*\*([^*\n]+)\*\*|\[([^\]\n]+)\]\(([^)\s]+)\)|((?:https?:\/\/|mailto:)[^\s<>"]+)/g;

export function rich(parent, text) {
  String(text || "").split(/\r?\n/).forEach((line, i) => {
    if (i) parent.appendChild(el("br"));
    let last = 0;
    let m;
    INLINE.lastIndex = 0;
    while ((m = INLINE.exec(line))) {
      parent.appendChild(document.createTextNode(line.slice(last, m.index)));
      let node = null;
      let tail = "";
      if (m[1]) node = el("strong", { text: m[1] });
      else if (m[2] && safeHref(m[3])) node = link(m[2], safeHref(m[3]));
      else if (m[4]) {
        const url = m[4].replace(/[.,;:!?)»"']+$/, "");
        tail = m[4].slice(url.length);
        node = safeHref(url) ? link(url, safeHref(url)) : null;
        if (!node) tail = m[4];
      }
      parent.appendChild(node || document.createTextNode(m[0]));
      if (node && tail) parent.appendChild(document.createTextNode(tail));
      last = m.index + m[0].length;
    }
    parent.appendChild(document.createTextNode(line.slice(last)));
  });
}

export function plain(parent, text) {
  String(text || "").split(/\r?\n/).forEach((line, i) => {
    if (i) parent.appendChild(el("br"));
    parent.appendChild(document.createTextNode(line));
  });
}
