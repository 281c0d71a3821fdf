// The last draws as a strip, newest first; a `draw` event shows at once.

import { ball, field, h, replace } from "../core.js";

const SHOWN = 20;

function item(draw) {
  return h("li", { class: "draw", dataset: { issue: draw.issue } },
    ball(draw.number),
    h("span", { class: "issue mono small", title: draw.issue, text: String(draw.issue).slice(-4) }),
    h("span", { class: "small muted", text: draw.size || "" }));
}

export default {
  name: "draws",
  title: "The draw history",
  needs: ["history"],
  mount(root) {
    const strip = field(root, "strip");
    return {
      render({ history }) {
        const items = (history.items || []).slice(0, SHOWN);
        replace(strip, items.length ? items.map(item) : h("li", { class: "muted", text: "No draws yet." }));
        replace(field(root, "draw-count"), `${history.total ?? items.length} stored`);
      },
      onEvent(type, event) {
        const d = event.data || {};
        if (type !== "draw" || typeof d.number !== "number" || strip.querySelector(`[data-issue="${CSS.escape(String(d.issue))}"]`)) return;
        strip.prepend(item(d));
        while (strip.children.length > SHOWN) strip.lastElementChild.remove();
      },
    };
  },
};
