import { parse } from "smol-toml";
import { describe, expect, it } from "vitest";
import { setTomlStringKey } from "../../src/config/toml-key-edit.js";

const file = `# my gateway
version = 1

[model_provider]  # the registry
# the model most requests use
default_chat_model_id = "small"   # cheap for now
failover_enabled = true

[[model_provider.providers]]
provider_id = "local"
kind = "deterministic"
`;

describe("setTomlStringKey", () => {
  it("rewrites the key's own line, keeping its comment and every other line", () => {
    const edited = setTomlStringKey(file, "model_provider", "default_chat_model_id", "large");
    expect(edited).toBe(file.replace(`default_chat_model_id = "small"   # cheap for now`, `default_chat_model_id = "large"   # cheap for now`));
    expect((parse(edited).model_provider as Record<string, unknown>).default_chat_model_id).toBe("large");
  });

  it("adds a missing key under the table's header, not in a later table", () => {
    const edited = setTomlStringKey(file, "model_provider", "default_embeddings_model_id", "embed");
    expect(edited.split("\n").slice(3, 6)).toEqual([
      "[model_provider]  # the registry",
      `default_embeddings_model_id = "embed"`,
      "# the model most requests use",
    ]);
    expect((parse(edited).model_provider as Record<string, unknown>).default_embeddings_model_id).toBe("embed");
  });

  it("adds the table at the end when the file has none", () => {
    const edited = setTomlStringKey("version = 1\n", "model_provider", "default_chat_model_id", "large");
    expect(edited).toBe(`version = 1\n\n[model_provider]\ndefault_chat_model_id = "large"\n`);
  });

  it("does not take a same-named key of another table", () => {
    const text = `version = 1\n[model_provider]\n[usage]\ndefault_chat_model_id = "x"\n`;
    const edited = setTomlStringKey(text, "model_provider", "default_chat_model_id", "y");
    expect(edited).toBe(`version = 1\n[model_provider]\ndefault_chat_model_id = "y"\n[usage]\ndefault_chat_model_id = "x"\n`);
  });
});
