import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { Role } from "../../gen/es/palyra/gateway/v1/common_pb.js";
import { StartRunSchema } from "../../gen/es/palyra/gateway/v1/gateway_pb.js";
import { runSpecFromProto, runSpecToProto } from "../../src/rpc/convert/run-spec-proto.js";

const envelope = (overrides: Parameters<typeof create<typeof StartRunSchema>>[1] = {}) =>
  create(StartRunSchema, { messages: [{ role: Role.USER, parts: [{ part: { case: "text", value: "hello" } }] }], agentId: "envelope-agent", ...overrides });

describe("the run a job or task carries, in its messages", () => {
  it("reads a prompt or an envelope, dropping the envelope's agent (the job's or task's own decides)", () => {
    expect(runSpecFromProto({ input: { case: "prompt", value: "hi" }, model: "m", maxTokens: 5 })).toEqual({ prompt: "hi", model: "m", maxTokens: 5 });
    const spec = runSpecFromProto({ input: { case: "envelope", value: envelope() }, model: "" });
    expect(spec.envelope?.messages[0]?.parts).toEqual([{ type: "text", text: "hello" }]);
    expect(spec.envelope?.agentId).toBeUndefined();
    expect(runSpecToProto(spec).input).toMatchObject({ case: "envelope", value: { agentId: "" } });
    expect(runSpecToProto({ prompt: "hi" })).toEqual({ input: { case: "prompt", value: "hi" }, model: "" });
  });

  it("names an envelope's bad field under envelope.", () => {
    const bad = envelope({ messages: [{ role: Role.UNSPECIFIED, parts: [{ part: { case: "text", value: "x" } }] }] });
    expect(() => runSpecFromProto({ input: { case: "envelope", value: bad }, model: "" })).toThrow(
      expect.objectContaining({ param: expect.stringMatching(/^envelope\.messages\[0\]/) }),
    );
  });
});
