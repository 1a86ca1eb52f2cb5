import { Router } from "express";
import type { Model } from "../../../gen/es/palyra/gateway/v1/models_pb.js";
import { rpcCallOptions } from "../require-credential.js";
import type { RpcClients } from "../rpc-clients.js";
import { OpenAIRequestError } from "./openai-error.js";

/** GET /v1/models and GET /v1/models/{id}, from ModelsService.ListModels. */
export function modelsRouter(clients: RpcClients, createdAt: number): Router {
  const router = Router();
  const toOpenAIModel = (model: Model) => ({ id: model.modelId, object: "model", created: createdAt, owned_by: model.providerId });

  router.get("/v1/models", async (req, res) => {
    const { models } = await clients.models.listModels({}, rpcCallOptions(req));
    res.json({ object: "list", data: models.map(toOpenAIModel) });
  });

  // Model ids may contain slashes ("openai/gpt-4o"), so the id is the rest of the path.
  router.get("/v1/models/*id", async (req, res) => {
    const id = ([] as string[]).concat(req.params.id ?? []).join("/");
    const { models } = await clients.models.listModels({}, rpcCallOptions(req));
    const model = models.find((candidate) => candidate.modelId === id);
    if (model === undefined) throw new OpenAIRequestError(`The model '${id}' does not exist`, { param: "model", status: 404, code: "model_not_found" });
    res.json(toOpenAIModel(model));
  });

  return router;
}
