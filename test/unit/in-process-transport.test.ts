import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, createClient, createContextValues, type HandlerContext } from "@connectrpc/connect";
import express from "express";
import { describe, expect, it, vi } from "vitest";
import { GatewayService, type RunStreamRequest, RunStreamRequestSchema, StartRunSchema } from "../../gen/es/palyra/gateway/v1/gateway_pb.js";
import { type ListModelsRequest, ListModelsRequestSchema, ModelRole, ModelsService } from "../../gen/es/palyra/gateway/v1/models_pb.js";
import { requireCredential, rpcCallOptions } from "../../src/http/require-credential.js";
import { AccessControl } from "../../src/identity/access.js";
import { callerKey, preflightCredentialKey } from "../../src/rpc/caller-context.js";
import { createInProcessTransport } from "../../src/rpc/in-process-transport.js";
import { createInterceptors } from "../../src/rpc/routes.js";
import { GatewayError } from "../../src/shared/errors.js";

const adminToken = "in-process-admin-token";
const authorization = `Bearer ${adminToken}`;

/** Routes with a ListModels that remembers what it was called with, and a RunStream that echoes. */
function fixture() {
  const seen: { request?: ListModelsRequest; callerId?: string; streamClosed: boolean } = { streamClosed: false };
  const routes = (router: ConnectRouter) => {
    router.service(ModelsService, {
      listModels(request: ListModelsRequest, context: HandlerContext) {
        seen.request = request;
        seen.callerId = context.values.get(callerKey)?.id;
        if (request.includeDisabled) throw new GatewayError("not_found", "no such role");
        return { models: [{ modelId: "m1" }] };
      },
    });
    router.service(GatewayService, {
      async *runStream(requests: AsyncIterable<RunStreamRequest>) {
        try {
          for await (const request of requests) {
            const model = request.action.case === "start" ? request.action.value.model : "";
            yield { runId: "r1", sequence: 1n, event: { case: "delta", value: { text: `one:${model}` } } };
            yield { runId: "r1", sequence: 2n, event: { case: "delta", value: { text: "two" } } };
            yield { runId: "r1", sequence: 3n, event: { case: "delta", value: { text: "three" } } };
          }
        } finally {
          seen.streamClosed = true;
        }
      },
    });
  };
  const access = new AccessControl(adminToken);
  const verify = vi.spyOn(access, "verify");
  const transport = createInProcessTransport(routes, createInterceptors(access));
  return { seen, access, verify, models: createClient(ModelsService, transport), gateway: createClient(GatewayService, transport) };
}

describe("the in-process RPC transport", () => {
  it("hands the implementation the caller's message object itself, never a copy made from bytes", async () => {
    const { seen, models } = fixture();
    const request = create(ListModelsRequestSchema, { role: ModelRole.CHAT });
    const answer = await models.listModels(request, { headers: { authorization } });
    expect(seen.request).toBe(request);
    expect(answer.models.map((model) => model.modelId)).toEqual(["m1"]);
    expect(answer.$typeName).toBe("palyra.gateway.v1.ListModelsResponse");
  });

  it("runs the auth interceptor: no credential is UNAUTHENTICATED, a good one names the caller", async () => {
    const { seen, models } = fixture();
    await expect(models.listModels({})).rejects.toMatchObject({ code: Code.Unauthenticated });
    await models.listModels({}, { headers: { authorization } });
    expect(seen.callerId).toBe("admin");
  });

  it("verifies a credential once: one already verified for the request is only checked for scope", async () => {
    const { verify, models } = fixture();
    const access = new AccessControl(adminToken);
    const verified = await access.verify(authorization);
    const contextValues = createContextValues().set(preflightCredentialKey, { verified });
    await models.listModels({}, { headers: { authorization }, contextValues });
    expect(verify).not.toHaveBeenCalled();
    await models.listModels({}, { headers: { authorization } });
    expect(verify).toHaveBeenCalledTimes(1);
  });

  it("maps core errors to Connect codes, as on the wire", async () => {
    const { models } = fixture();
    const failure = await models.listModels({ includeDisabled: true }, { headers: { authorization } }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConnectError);
    expect(failure).toMatchObject({ code: Code.NotFound });
  });

  it("streams messages both ways, and closes the implementation when the caller stops reading", async () => {
    const { seen, gateway } = fixture();
    async function* start() {
      yield create(RunStreamRequestSchema, { action: { case: "start", value: create(StartRunSchema, { model: "m1" }) } });
    }
    const texts: string[] = [];
    // Connect's clients stop a stream with the call's signal (breaking the loop alone does not).
    const stop = new AbortController();
    for await (const response of gateway.runStream(start(), { headers: { authorization }, signal: stop.signal })) {
      if (response.event.case === "delta") texts.push(response.event.value.text);
      if (texts.length === 2) break;
    }
    expect(texts).toEqual(["one:m1", "two"]);
    expect(seen.streamClosed).toBe(false);
    stop.abort();
    await vi.waitFor(() => expect(seen.streamClosed).toBe(true));
  });

  it("verifies a /v1 request's credential once: the HTTP check hands it to the in-process call", async () => {
    const { seen, access, verify, models } = fixture();
    const app = express();
    app.use(requireCredential(access));
    app.get("/models", async (req, res) => {
      const answer = await models.listModels({}, rpcCallOptions(req));
      res.json({ count: answer.models.length });
    });
    const server = app.listen(0, "127.0.0.1");
    await once(server, "listening");
    try {
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/models`, { headers: { authorization } });
      expect(await response.json()).toEqual({ count: 1 });
      expect(seen.callerId).toBe("admin");
      expect(verify).toHaveBeenCalledTimes(1);
    } finally {
      server.close();
    }
  });
});
