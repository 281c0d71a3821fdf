// The statement that fair draws cannot be predicted, plus the report's disclaimer.

import { setText } from "../core.js";

export default {
  name: "honesty",
  optional: ["prediction"],
  mount(root) {
    return {
      render({ prediction }) {
        if (prediction && prediction.disclaimer) setText(root, "disclaimer", prediction.disclaimer);
      },
    };
  },
};
