---@meta scenario
-- LuaLS definitions for the scenario module: point LuaLS at this directory
-- ("workspace.library" in .luarc.json). Written by tools/write_types.lua
-- from the endpoint table (csrc/endpoint_table.c), its schema (csrc/schema_*.c) and
-- the LDoc of lua/scenario/init.lua: do not edit, run `make types`.
-- It is valid Lua that defines nothing: running it does no harm.

-- ---- enums (scenario.enums) ----
---@alias scenario.AccessRestrictions 0|100|25|50|75
---@alias scenario.AspectRatio "16:9"|"1:1"|"21:9"|"2:3"|"3:2"|"3:4"|"4:3"|"4:5"|"5:4"|"9:16"|"9:21"
---@alias scenario.AssetSource "3d23d"|"3d23d:texture"|"audio2audio"|"background-removal"|"canvas"|"canvas-drawing"|"canvas-export"|"detection"|"generative-fill"|"image-prompt-editing"|"img23d"|"img2img"|"img2video"|"inference-control-net"|"inference-control-net-img"|"inference-control-net-inpainting"|"inference-control-net-inpainting-ip-adapter"|"inference-control-net-ip-adapter"|"inference-control-net-reference"|"inference-control-net-texture"|"inference-img"|"inference-img-ip-adapter"|"inference-img-texture"|"inference-in-paint"|"inference-in-paint-ip-adapter"|"inference-reference"|"inference-reference-texture"|"inference-txt"|"inference-txt-ip-adapter"|"inference-txt-texture"|"patch"|"pixelization"|"reframe"|"restyle"|"segment"|"segmentation-image"|"segmentation-mask"|"skybox-3d"|"skybox-base-360"|"skybox-hdri"|"texture"|"texture:albedo"|"texture:ao"|"texture:edge"|"texture:height"|"texture:metallic"|"texture:normal"|"texture:smoothness"|"txt23d"|"txt2audio"|"txt2img"|"txt2video"|"unknown"|"uploaded"|"uploaded-3d"|"uploaded-audio"|"uploaded-avatar"|"uploaded-video"|"upscale"|"upscale-skybox"|"upscale-texture"|"upscale-video"|"vectorization"|"video2video"
---@alias scenario.AssetStatus "error"|"pending"|"success"
---@alias scenario.AudioClassification "effect"|"interview"|"music"|"other"|"sound"|"speech"|"text"|"unknown"
---@alias scenario.BackgroundBehavior "opaque"|"transparent"
---@alias scenario.Capability "3d23d"|"audio2audio"|"audio2video"|"controlnet"|"controlnet_img2img"|"controlnet_inpaint"|"controlnet_inpaint_ip_adapter"|"controlnet_ip_adapter"|"controlnet_reference"|"controlnet_texture"|"img23d"|"img2img"|"img2img_ip_adapter"|"img2img_texture"|"img2txt"|"img2video"|"inpaint"|"inpaint_ip_adapter"|"outpaint"|"reference"|"reference_texture"|"txt23d"|"txt2audio"|"txt2img"|"txt2img_ip_adapter"|"txt2img_texture"|"txt2txt"|"txt2video"|"video23d"|"video2audio"|"video2img"|"video2video"
---@alias scenario.ClassStatus "published"|"unpublished"
---@alias scenario.EditCapability "DETECTION"|"GENERATIVE_FILL"|"PIXELATE"|"PROMPT_EDITING"|"REFINE"|"REFRAME"|"REMOVE_BACKGROUND"|"SEGMENTATION"|"UPSCALE"|"UPSCALE_360"|"VECTORIZATION"
---@alias scenario.FindingCategory "artist-style"|"brand-trademark"|"celebrity-likeness"|"custom"|"fictional-character"
---@alias scenario.InferenceType "txt2img"|"txt2img_ip_adapter"|"txt2img_texture"|"img2img"|"img2img_ip_adapter"|"img2img_texture"|"inpaint"|"outpaint"|"inpaint_ip_adapter"|"controlnet"|"controlnet_ip_adapter"|"reference"|"reference_texture"|"controlnet_reference"|"controlnet_img2img"|"controlnet_inpaint"|"controlnet_inpaint_ip_adapter"|"controlnet_texture"
---@alias scenario.InputKind "3d"|"audio"|"document"|"image"|"image-hdr"|"json"|"video"
---@alias scenario.InputType "boolean"|"file"|"file_array"|"inputs_array"|"model"|"model_array"|"number"|"number_array"|"string"|"string_array"
---@alias scenario.IpDetectionAction "allowed"|"blocked"|"flagged"
---@alias scenario.JobAction "cancel"
---@alias scenario.JobStatus "canceled"|"failure"|"finalizing"|"in-progress"|"pending"|"queued"|"success"|"warming-up"
---@alias scenario.JobType "assets-download"|"canvas-export"|"caption"|"caption-llava"|"custom"|"describe-style"|"detection"|"embed"|"flux"|"flux-model-training"|"generate-prompt"|"image-generation"|"image-prompt-editing"|"inference"|"mesh-preview-rendering"|"model-download"|"model-import"|"model-training"|"musubi-model-training"|"openai-image-generation"|"patch-image"|"pixelate"|"reframe"|"remove-background"|"repaint"|"restyle"|"segment"|"skybox-3d"|"skybox-base-360"|"skybox-hdri"|"skybox-upscale-360"|"splat"|"texture"|"translate"|"upload"|"upscale"|"upscale-skybox"|"upscale-texture"|"vectorize"|"workflow"
---@alias scenario.ListPrivacy "private"|"public"
---@alias scenario.ListSortBy "createdAt"|"updatedAt"|"score"
---@alias scenario.ListStatus "new"|"training"|"trained"|"failed"|"deleted"
---@alias scenario.LrScheduler "constant"|"constant-with-warmup"|"cosine"|"cosine-with-restarts"|"linear"|"polynomial"
---@alias scenario.ModelType "custom"|"elevenlabs-voice"|"flux.1"|"flux.1-composition"|"flux.1-kontext-dev"|"flux.1-kontext-lora"|"flux.1-krea-dev"|"flux.1-krea-lora"|"flux.1-lora"|"flux.1-pro"|"flux.1.1-pro-ultra"|"flux.2-dev-edit-lora"|"flux.2-dev-lora"|"flux.2-klein-4b-edit-lora"|"flux.2-klein-4b-lora"|"flux.2-klein-9b-edit-lora"|"flux.2-klein-9b-lora"|"flux.2-klein-base-4b-edit-lora"|"flux.2-klein-base-4b-lora"|"flux.2-klein-base-9b-edit-lora"|"flux.2-klein-base-9b-lora"|"flux1.1-pro"|"gpt-image-1"|"qwen-image-2512-lora"|"qwen-image-edit-2509-lora"|"qwen-image-edit-2511-lora"|"qwen-image-edit-lora"|"qwen-image-lora"|"sd-1_5"|"sd-1_5-composition"|"sd-1_5-lora"|"sd-xl"|"sd-xl-composition"|"sd-xl-lora"|"zimage-de-turbo-lora"|"zimage-lora"|"zimage-turbo-lora"
---@alias scenario.OptimizeFor "likeness"
---@alias scenario.Privacy "private"|"public"|"unlisted"
---@alias scenario.Scheduler "DDIMScheduler"|"DDPMScheduler"|"DEISMultistepScheduler"|"DPMSolverMultistepScheduler"|"DPMSolverSinglestepScheduler"|"EulerAncestralDiscreteScheduler"|"EulerDiscreteScheduler"|"HeunDiscreteScheduler"|"KDPM2AncestralDiscreteScheduler"|"KDPM2DiscreteScheduler"|"LCMScheduler"|"LMSDiscreteScheduler"|"PNDMScheduler"|"TCDScheduler"|"UniPCMultistepScheduler"
---@alias scenario.SortDirection "asc"|"desc"
---@alias scenario.Source "civitai"|"huggingface"|"other"|"scenario"
---@alias scenario.Status "copying"|"failed"|"new"|"trained"|"training"|"training-canceled"
---@alias scenario.TrainAction "cancel"
---@alias scenario.TrainingImagePreset "default"|"style"|"subject"
---@alias scenario.TrainingStage "pending"|"pending-captcha"|"queued-for-train"|"running-train"|"starting-train"
---@alias scenario.TriggerPosition "bottom"|"top"

-- ---- the API's objects (bodies, queries, answers) ----

---The JSON null sentinel, `scenario.null`.
---@class scenario.Null: lightuserdata

---@class (exact) scenario.CreateModelBody
---@field baseModelId? string The ID of the base model to use as a starting point for the training (example: "flux.1-dev"). Value is automatically set based on the model's type. In case of doubt leave it empty.
---@field classSlug? string|scenario.Null The slug of the class you want to use (ex: "characters-npcs-mobs-characters"). Set to null to unset the class `scenario.null` unsets it.
---@field collectionIds? string[] List of collection IDs to add the model to
---@field concepts? scenario.Concept[] The concepts is required for composition models. With one or more loras. Only applicable to Flux based models (and older SD1.5 and SDXL models)
---@field name? string The model's name (ex: "Cinematic Realism"). If not set, the model's name will be automatically generated when starting training based on training data. (at most 64 characters)
---@field shortDescription? string The model's short description (ex: "This model generates highly detailed cinematic scenes."). If not set, the model's short description will be automatically generated when starting training based on training data. (at most 256 characters)
---@field type? scenario.ModelType The model's type (ex: "flux.1-lora"). The type can only be changed if the model has the "new" status.

---@class (exact) scenario.ModelQuery
---@field originalAssets? boolean If set to true, returns the original asset without transformation
---@field projectId? string The projectId used for ownership resource management. Either to assert ownership or to set the owner of the resource(s)

---@class scenario.ModelEnvelope
---@field model scenario.Model (No description on the reference page.)

---@class (exact) scenario.ListModelsQuery
---@field blacklisted? boolean If set to true, returns the full list of models (including blacklisted models) (only available for team admins)
---@field collectionId? string When provided, only the models in the Collection will be returned. Only available when privacy=private/unlisted (note: this is different from collectionIds which is only for privacy=public)
---@field collectionIds? string List of collection ids, comma separated. Only available when privacy=public
---@field createdAfter? string Filter results to only return models created after the specified ISO string date (exclusive). Requires the sortBy parameter to be "createdAt". Available for both privacy=public and privacy=private/unlisted
---@field createdBefore? string Filter results to only return models created before the specified ISO string date (exclusive). Requires the sortBy parameter to be "createdAt". Available for both privacy=public and privacy=private/unlisted
---@field loadedOnly? boolean If set to true, returns the list of models currently loaded on GPU
---@field originalAssets? boolean If set to true, returns the original asset without transformation
---@field pageSize? number The number of items to return in the response. The default value is 100, maximum value is 500, minimum value is 1 (from 1 to 500)
---@field paginationToken? string A token you received in a previous request to query the next page of items
---@field privacy? scenario.ListPrivacy The privacy of the models to return. The default value is `private`, possible values are `private` and `public`
---@field projectId? string The projectId used for ownership resource management. Either to assert ownership or to set the owner of the resource(s)
---@field sortBy? scenario.ListSortBy Sort results by createdAt, updatedAt, or score. When privacy=public, defaults to score if not specified. When privacy=private/unlisted, supports createdAt and score (default: createdAt). When sortBy=score for privacy=private/unlisted, both privacy and status query parameters are required.
---@field sortDirection? scenario.SortDirection Sort results in ascending (asc) or descending (desc) order. Only used when sortBy is specified. Available for both privacy=public and privacy=private/unlisted. For public models, this parameter is ignored when sortBy is not specified or set to score.
---@field status? scenario.ListStatus The status of the models to return. Only available when privacy=private/unlisted
---@field tags? string List of tags, comma separated. Only available when privacy=public
---@field type? scenario.ModelType List all the models of a specific type. The parameter "type" and "types" cannot be used together. Only available when privacy=public
---@field types? scenario.ModelType[] List of types, comma separated. The parameter "type" and "types" cannot be used together. Only available when privacy=public
---@field updatedAfter? string Filter results to only return models updated after the specified ISO string date (exclusive). Requires the sortBy parameter to be "updatedAt". Only available when privacy=public
---@field updatedBefore? string Filter results to only return models updated before the specified ISO string date (exclusive). Requires the sortBy parameter to be "updatedAt". Only available when privacy=public

---@class scenario.ModelsPage
---@field models scenario.Model[] (No description on the reference page.)
---@field nextPaginationToken? string (No description on the reference page.)

---@class (exact) scenario.UpdateModelBody
---@field classSlug? string|scenario.Null The slug of the class you want to use (ex: "characters-npcs-mobs-characters"). Set to null to unset the class `scenario.null` unsets it.
---@field concepts? scenario.Concept[] The concepts is required for composition models. With one or more loras. Only applicable to Flux based models.
---@field epoch? string|scenario.Null The epoch of the model. Only available for flux.1-lora and flux.1-kontext-lora based models. The epoch can only be set if the model has epochs and is in status "trained". The default epoch (if not set) is the final model epoch (latest). Set to null to unset the epoch. `scenario.null` unsets it.
---@field name? string The model's name (ex: "Cinematic Realism"). If not set, the model's name will be automatically generated when starting training based on training data. (at most 64 characters)
---@field negativePromptEmbedding? string Add a negative prompt embedding to every model's generation
---@field parameters? scenario.TrainingParameters The parameters to use for the model's training
---@field promptEmbedding? string Add a prompt embedding to every model's generation
---@field shortDescription? string The model's short description (ex: "This model generates highly detailed cinematic scenes."). If not set, the model's short description will be automatically generated when starting training based on training data. (at most 256 characters)
---@field thumbnail? string|scenario.Null The AssetId of the image you want to use as a thumbnail for the model (example: "asset_GTrL3mq4SXWyMxkOHRxlpw"). Set to null to unset the thumbnail `scenario.null` unsets it.
---@field type? scenario.ModelType The model's type (ex: "flux.1-lora"). The type can only be changed if the model has the "new" status.

---@class (exact) scenario.ProjectQuery
---@field projectId? string The projectId used for ownership resource management. Either to assert ownership or to set the owner of the resource(s)

---@class (exact) scenario.TrainModelBody
---@field parameters? scenario.TrainingParameters (No description on the reference page.)

---@class (exact) scenario.TrainModelQuery
---@field dryRun? any (No description on the reference page.)
---@field originalAssets? boolean If set to true, returns the original asset without transformation
---@field projectId? string The projectId used for ownership resource management. Either to assert ownership or to set the owner of the resource(s)
---@field trainingImagesCount? number Simulate the number of training images, used for dryRun purpose

---@class scenario.TrainModelResponse
---@field job scenario.Job (No description on the reference page.)
---@field model scenario.Model (No description on the reference page.)
---@field creativeUnitsCost? number The Compute Units cost for the request billed
---@field creativeUnitsDiscount? number The Compute Units discount for the request billed
---@field ipDetection? scenario.IpDetection IP detection findings, when detection ran for this request.

---@class (exact) scenario.TrainActionBody
---@field action scenario.TrainAction The action to perform on the model training

---@class (exact) scenario.AddTrainingImagesBody
---@field assetId? string The asset ID to use as a training image (example: "asset_GTrL3mq4SXWyMxkOHRxlpw"). If provided, "data" and "name" parameters will be ignored.
---@field assetIds? string[] The asset IDs to use as training images (example: ["asset_GTrL3mq4SXWyMxkOHRxlpw", "asset_GTrL3mq4SXWyMxkOHRxlpw"]) Used in batch mode, up to 10 asset IDs are allowed. Cannot be used with "assetId" or "data" and "name" parameters.
---@field data? string The training image as a data URL (example: "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVQYV2NgYAAAAAMAAWgmWQ0AAAAASUVORK5CYII=")
---@field name? string The original file name of the image (example: "my-training-image.jpg")
---@field preset? scenario.TrainingImagePreset The preset to use for training images

---@class scenario.TrainingImageEnvelope
---@field trainingImage scenario.TrainingImage (No description on the reference page.)

---@class (exact) scenario.UpdateModelTagsBody
---@field add? string[] The list of tags to add
---@field delete? string[] The list of tags to delete
---@field strict? boolean If true, the function will throw an error if: one of the tags to add already exists; one of the tags to delete is not found. If false, the endpoint will behave as if it was idempotent

---@class scenario.UpdateModelTagsResponse
---@field added string[] The list of added tags
---@field deleted string[] The list of deleted tags

---@class (exact) scenario.GenerateCustomQuery
---@field dryRun? any Set to true to get a price quote without generating: the answer is then HTTP 269, with the cost, and nothing is made.
---@field projectId? string The projectId used for ownership resource management. Either to assert ownership or to set the owner of the resource(s)

---@class scenario.GenerateCustomResponse
---@field job scenario.Job The created job: poll it with get_job.
---@field creativeUnitsCost? number The Creative Units cost for the request billed
---@field creativeUnitsDiscount? number The Creative Units discount for the request billed

---@class (exact) scenario.Txt2imgBody
---@field modelId string The model id to use for the inference
---@field prompt string Full text prompt including the model placeholder. (example: "an illustration of phoenix in a fantasy world, flying over a mountain, 8k, bokeh effect")
---@field aspectRatio? scenario.AspectRatio The aspect ratio of the generated images. Only used for the model flux.1.1-pro-ultra. The aspect ratio is a string formatted as "width:height" (example: "16:9"). (default: "1:1")
---@field baseModelId? string The base model to use for the inference. Only Flux LoRA models can use this parameter. Allowed values are available in the model's attribute: `compliantModelIds`
---@field concepts? scenario.Concept[] (No description on the reference page.)
---@field guidance? number Controls how closely the generated image follows the prompt. Higher values result in stronger adherence to the prompt. Default and allowed values depend on the model type: For Flux dev models, the default is 3.5 and allowed values are within [0, 10]; For Flux pro models, the default is 3 and allowed values are within [2, 5]; For SDXL models, the default is 6 and allowed values are within [0, 20]; For SD1.5 models, the default is 7.5 and allowed values are within [0, 20] (from 0 to 20)
---@field height? number The height of the generated images, must be a 8 multiple (within [64, 2048], default: 512) If model.type is `sd-xl`, `sd-xl-lora`, `sd-xl-composition` the height must be within [512, 2048] If model.type is `sd-1_5`, the height must be within [64, 1024] If model.type is `flux.1.1-pro-ultra`, you can use the aspectRatio parameter instead (from 64 to 2048)
---@field hideResults? boolean If set, generated assets will be hidden and not returned in the list of images of the inference or when listing assets (default: false)
---@field intermediateImages? boolean Enable or disable the intermediate images generation (default: false)
---@field modelEpoch? string The epoch of the model to use for the inference. Only available for Flux Lora Trained models.
---@field negativePrompt? string The prompt not to guide the image generation, ignored when guidance < 1 (example: "((ugly face))") For Flux based model (not Fast-Flux): requires negativePromptStrength > 0 and active only for inference types txt2img / img2img / controlnet.
---@field negativePromptStrength? number Only applicable for flux-dev based models for `txt2img`, `img2img`, and `controlnet` inference types. Controls the influence of the negative prompt. Default 0 means the negative prompt has no effect. Higher values increase negative prompt influence. Must be > 0 if negativePrompt is provided. (from 0 to 10)
---@field numInferenceSteps? number The number of denoising steps for each image generation (within [1, 150], default: 30) (from 1 to 150)
---@field numSamples? number The number of images to generate (within [1, 128], default: 4) (from 1 to 128)
---@field scheduler? scenario.Scheduler The scheduler to use to override the default configured for the model. See detailed documentation for more details.
---@field seed? string Used to reproduce previous results. Default: randomly generated number.
---@field width? number The width of the generated images, must be a 8 multiple (within [64, 2048], default: 512) If model.type is `sd-xl`, `sd-xl-lora`, `sd-xl-composition` the width must be within [512, 2048] If model.type is `sd-1_5`, the width must be within [64, 1024] If model.type is `flux.1.1-pro-ultra`, you can use the aspectRatio parameter instead (from 64 to 2048)

---@class (exact) scenario.GenerateQuery
---@field originalAssets? boolean If set to true, returns the original asset without transformation
---@field dryRun? any Set to true to get a price quote without generating: the answer is then HTTP 269, with the cost, and nothing is made.
---@field projectId? string The projectId used for ownership resource management. Either to assert ownership or to set the owner of the resource(s)

---@class scenario.InferenceResponse
---@field inference scenario.Inference The inference, as the request set it.
---@field job scenario.Job The job created for the generation. Poll it with GET /jobs/{jobId}.
---@field creativeUnitsCost? number The Creative Units cost for the request billed
---@field creativeUnitsDiscount? number The Creative Units discount for the request billed

---@class (exact) scenario.Img2imgBody
---@field modelId string The model id to use for the inference
---@field prompt string Full text prompt including the model placeholder. (example: "an illustration of phoenix in a fantasy world, flying over a mountain, 8k, bokeh effect")
---@field baseModelId? string The base model to use for the inference. Only Flux LoRA models can use this parameter. Allowed values are available in the model's attribute: `compliantModelIds`
---@field concepts? scenario.Concept[] (No description on the reference page.)
---@field guidance? number Controls how closely the generated image follows the prompt. Higher values result in stronger adherence to the prompt. Default and allowed values depend on the model type: For Flux dev models, the default is 3.5 and allowed values are within [0, 10]; For Flux pro models, the default is 3 and allowed values are within [2, 5]; For SDXL models, the default is 6 and allowed values are within [0, 20]; For SD1.5 models, the default is 7.5 and allowed values are within [0, 20] (from 0 to 20)
---@field height? number The height of the generated images, must be a 8 multiple (within [64, 2048], default: 512) If model.type is `sd-xl`, `sd-xl-lora`, `sd-xl-composition` the height must be within [512, 2048] If model.type is `sd-1_5`, the height must be within [64, 1024] If model.type is `flux.1.1-pro-ultra`, you can use the aspectRatio parameter instead (from 64 to 2048)
---@field hideResults? boolean If set, generated assets will be hidden and not returned in the list of images of the inference or when listing assets (default: false)
---@field image? string The input image as a data URL (example: "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVQYV2NgYAAAAAMAAWgmWQ0AAAAASUVORK5CYII=") or the asset ID (example: "asset_GTrL3mq4SXWyMxkOHRxlpw")
---@field imageHide? boolean Toggles the hidden status of the image when provided as a dataurl. (default: false)
---@field imageId? string Deprecated: The input image as an AssetId. Prefer to use image with the asset ID instead.
---@field imageParentId? string Specifies the parent asset Id for the image when provided as a dataurl.
---@field intermediateImages? boolean Enable or disable the intermediate images generation (default: false)
---@field modelEpoch? string The epoch of the model to use for the inference. Only available for Flux Lora Trained models.
---@field negativePrompt? string The prompt not to guide the image generation, ignored when guidance < 1 (example: "((ugly face))") For Flux based model (not Fast-Flux): requires negativePromptStrength > 0 and active only for inference types txt2img / img2img / controlnet.
---@field negativePromptStrength? number Only applicable for flux-dev based models for `txt2img`, `img2img`, and `controlnet` inference types. Controls the influence of the negative prompt. Default 0 means the negative prompt has no effect. Higher values increase negative prompt influence. Must be > 0 if negativePrompt is provided. (from 0 to 10)
---@field numInferenceSteps? number The number of denoising steps for each image generation (within [1, 150], default: 30) (from 1 to 150)
---@field numSamples? number The number of images to generate (within [1, 128], default: 4) (from 1 to 128)
---@field scheduler? scenario.Scheduler The scheduler to use to override the default configured for the model. See detailed documentation for more details.
---@field seed? string Used to reproduce previous results. Default: randomly generated number.
---@field strength? number Controls the noise intensity introduced to the input image, where a value of 1.0 completely erases the original image's details. Available for img2img and inpainting. (within [0.01, 1.0], default: 0.75) (from 0.01 to 1)
---@field width? number The width of the generated images, must be a 8 multiple (within [64, 2048], default: 512) If model.type is `sd-xl`, `sd-xl-lora`, `sd-xl-composition` the width must be within [512, 2048] If model.type is `sd-1_5`, the width must be within [64, 1024] If model.type is `flux.1.1-pro-ultra`, you can use the aspectRatio parameter instead (from 64 to 2048)

---@class scenario.JobEnvelope
---@field job scenario.Job (No description on the reference page.)

---@class (exact) scenario.ListJobsQuery
---@field authorId? string The authorId of the jobs to return. Optional.
---@field hideResults? boolean If false, jobs containing the hideResults param will be not returned. Optional.
---@field pageSize? number The number of items to return in the response. The default value is 10, maximum value is 200, minimum value is 1 (from 1 to 200)
---@field paginationToken? string A token you received in a previous request to query the next page of items
---@field status? scenario.JobStatus The status of the jobs to return. Optional.
---@field type? scenario.JobType The type of the jobs to return. If "types" is defined, "type" will be ignored. Optional.
---@field types? scenario.JobType[] The types of the jobs to return. If "types" is defined, "type" will be ignored. Optional.
---@field workflowId? string The workflow of the jobs to return. Optional.
---@field projectId? string The projectId used for ownership resource management. Either to assert ownership or to set the owner of the resource(s)

---@class scenario.JobsPage
---@field jobs scenario.Job[] (No description on the reference page.)
---@field nextPaginationToken? string A token to query the next page of jobs

---@class (exact) scenario.JobActionBody
---@field action? scenario.JobAction The action to execute on the job, such as canceling it. Today only cancel on inference jobs is supported.

---@class (exact) scenario.GetAssetQuery
---@field withEmbedding? boolean Include the embedding in the response
---@field originalAssets? boolean If set to true, returns the original asset without transformation
---@field projectId? string The projectId used for ownership resource management. Either to assert ownership or to set the owner of the resource(s)

---@class scenario.AssetEnvelope
---@field asset scenario.Asset (No description on the reference page.)

---@class (exact) scenario.UploadAssetBody
---@field name string The original file name of the image (example: "low-res-image.jpg").
---@field canvas? string The canvas to upload as a stringified JSON. Ignored if `image` is provided.
---@field collectionIds? string[] The IDs of the collections to add the asset to. If provided, the new asset will be added to the collections.
---@field hide? boolean Toggles the hidden status of the asset.
---@field image? string The image to upload in base64 format string.
---@field parentId? string Specifies the parent asset Id for the asset.
---@field thumbnail? string The thumbnail for the canvas in base64 format string. Ignored if `image` is provided.

---@class (exact) scenario.UploadAssetQuery
---@field originalAssets? boolean If set to true, returns the original asset without transformation
---@field projectId? string The projectId used for ownership resource management. Either to assert ownership or to set the owner of the resource(s)

---@class scenario.Concept
---@field modelId string The model ID (example: "model_eyVcnFJcR92BxBkz7N6g5w")
---@field scale number The scale of the model (example: 1.0) For Flux Kontext Prompt Editing, the scale is between 0 and 2. (from -2 to 2)
---@field modelEpoch? string The epoch of the model (example: "000001") Only available for Flux Lora Trained models

---@class scenario.Model
---@field id string The model ID (example: "model_eyVcnFJcR92BxBkz7N6g5w")
---@field capabilities scenario.Capability[] List of model capabilities (example: ["txt2img", "img2img", "txt2img_ip_adapter", ...])
---@field collectionIds string[] A list of CollectionId this model belongs to
---@field createdAt string The model creation date as an ISO string (example: "2023-02-03T11:19:41.579Z")
---@field custom boolean Whether the model is a custom model and can be used only with POST /generate/custom/{modelId} endpoint
---@field exampleAssetIds string[] List of all example asset IDs setup by the model owner
---@field privacy scenario.Privacy The privacy of the model (default: private)
---@field source scenario.Source The source of the model
---@field status scenario.Status The model status
---@field tags string[] The associated tags (example: ["sci-fi", "landscape"])
---@field trainingImagesNumber number The total number of training images
---@field type scenario.ModelType The model type (example: "flux.1-lora")
---@field updatedAt string The model last update date as an ISO string (example: "2023-02-03T11:19:41.579Z")
---@field accessRestrictions? scenario.AccessRestrictions The access restrictions of the model 0: Free plan 25: Creator plan 50: Pro plan 75: Team plan 100: Enterprise plan
---@field authorId? string The author user ID (example: "user_VFhihHKMRZyDDnZAJwLb2Q")
---@field class? scenario.ModelClass The class of the model
---@field compliantModelIds? string[] List of base model IDs compliant with the model (example: ["flux.1-dev", "flux.1-schnell"]) This attribute is mainly used for Flux LoRA models
---@field concepts? scenario.Concept[] The concepts is required for the type model: composition
---@field epoch? string The epoch of the model. Only available for Flux Lora Trained models. If not set, uses the final model epoch (latest)
---@field epochs? scenario.ModelEpoch[] The epochs of the model. Only available for Flux Lora Trained models.
---@field inputs? scenario.ModelInput[] The inputs of the model. Only used for custom models. To retrieve this list, get it by modelId with GET /models/{modelId}
---@field modelKeyword? string The model keyword, this is a legacy parameter, please use conceptPrompt in parameters
---@field name? string The model name (example: "Cinematic Realism")
---@field negativePromptEmbedding? string Fine-tune the model's inferences with negative prompt embedding
---@field ownerId? string The owner ID (example: "team_VFhihHKMRZyDDnZAJwLb2Q")
---@field parameters? scenario.TrainingParameters The parameters of the model
---@field parentModelId? string The id of the parent model
---@field performanceStats? scenario.ModelPerformanceStats Aggregated performance stats
---@field promptEmbedding? string Fine-tune the model's inferences with prompt embedding
---@field shortDescription? string The model short description (example: "This model generates highly detailed cinematic scenes.")
---@field softDeletionOn? string The date when the model will be soft deleted (only for Free plan)
---@field thumbnail? scenario.AssetRef A thumbnail for your model
---@field trainingImagePairs? scenario.ModelTrainingImagePair[] Array of training image pairs
---@field trainingImages? scenario.TrainingImage[] The URLs of the first 3 training images of the model. To retrieve the full set of images, get it by modelId
---@field trainingProgress? scenario.ModelTrainingProgress Additional information about the training progress of the model
---@field trainingStats? scenario.ModelTrainingStats Additional information about the model's training
---@field uiConfig? scenario.ModelUiConfig The UI configuration for the model
---@field userId? string (Deprecated) The user ID (example: "user_VFhihHKMRZyDDnZAJwLb2Q")

---@class scenario.TrainingParameters
---@field age? string Age group of the voice (for professional cloning). Only available for ElevenLabs voice training
---@field batchSize? number The batch size Less steps, and will increase the learning rate. Only available for Flux LoRA training (from 1 to 4)
---@field classPrompt? string The prompt to specify images in the same class as provided instance images. Only available for SD15 training
---@field cloneType? string Type of voice cloning: "instant" (fast) or "professional" (higher quality, requires captcha). Only available for ElevenLabs voice training
---@field conceptPrompt? string The prompt with identifier specifying the instance (or subject) of the class (example: "a daiton dog"). Default value varies depending on the model type: For SD1.5: "daiton" if no class is associated with the model; For SDXL: "daiton"; For Flux: ""
---@field gender? string Gender of the voice (for professional cloning). Only available for ElevenLabs voice training
---@field language? string Language of the audio samples (ISO 639-1 code). Only available for ElevenLabs voice training
---@field learningRate? number Initial learning rate (after the potential warmup period). Default value varies depending on the model type: For SD1.5 and SDXL: 0.000005; For Flux: 0.0001 (above 0)
---@field learningRateTextEncoder? number Initial learning rate (after the potential warmup period) for the text encoder. Maximum [Flux LoRA: 0.001] Default [SDXL: 0.00005 | Flux LoRA: 0.00001] Minimum [SDXL: 0 | Flux LoRA: 0.000001] (above 0; at most 0.001)
---@field learningRateUnet? number Initial learning rate (after the potential warmup period) for the UNet. Only available for SDXL LoRA training (above 0)
---@field lrScheduler? scenario.LrScheduler The scheduler type to use (default: "constant"). Only available for SD15 and SDXL LoRA training
---@field maxTrainSteps? number Maximum number of training steps to execute (default: varies depending on the model type). For SDXL LoRA training, please use numTextTrainSteps and numUNetTrainSteps instead. (from 0 to 40000)
---@field nbEpochs? number The number of epochs to train for. Only available for Flux LoRA training (from 1 to 30)
---@field nbRepeats? number The number of times to repeat the training. Only available for Flux LoRA training (from 1 to 30)
---@field numTextTrainSteps? number The number of training steps for the text encoder. Only available for SDXL LoRA training (from 0 to 40000)
---@field numUNetTrainSteps? number The number of training steps for the UNet. Only available for SDXL LoRA training (from 0 to 40000)
---@field optimizeFor? scenario.OptimizeFor Optimize the model training task for a specific type of input images. The available values are: "likeness": optimize training for likeness or portrait (targets specific transformer blocks); "all": train all transformer blocks; "none": train no specific transformer blocks.
---@field priorLossWeight? number The weight of prior preservation loss. Only available for SD15 and SDXL LoRA training (above 0; at most DBL_MAX)
---@field randomCrop? boolean Whether to random crop or center crop images before resizing to the working resolution. Only available for SD15 and SDXL LoRA training
---@field randomCropRatio? number Ratio of random crops. Only available for SD15 and SDXL LoRA training (from 0 to 1)
---@field randomCropScale? number Scale of random crops. Only available for SD15 and SDXL LoRA training (from 0 to 1)
---@field rank? number The dimension of the LoRA update matrices. Only available for SDXL (deprecated), Flux LoRA and Musubi training. Default value varies depending on the model type: For SDXL (deprecated): 64; For Flux: 16; For Musubi: 64. (from 2 to 128)
---@field removeBackgroundNoise? boolean Whether to remove background noise from audio samples before cloning. When enabled, each sample must be at least 5 seconds long. Only available for ElevenLabs voice training
---@field samplePrompts? string[] The prompts to use for each epoch Only available for Flux LoRA training
---@field sampleSourceImages? string[] The sample prompt images (AssetIds) paired with samplePrompts Only available for Flux LoRA training Must be the same length as samplePrompts
---@field scaleLr? boolean Whether to scale the learning rate. Note: Legacy parameter, will be ignored. Only available for SD15 and SDXL LoRA training
---@field seed? number Used to reproduce previous results. Default: randomly generated number. Only available for SD15 and SDXL LoRA training (from 0 to 9007199254740991)
---@field textEncoderTrainingRatio? number Whether to train the text encoder or not. Example: For 100 steps and a value of 0.2, it means that the text encoder will be trained for 20 steps and then the UNet for 80 steps. Note: Legacy parameter, please use numTextTrainSteps and numUNetTrainSteps. Only available for SD15 and SDXL LoRA training (from 0 to 0.99)
---@field validationFrequency? number Validation frequency. Cannot be greater than maxTrainSteps value. Only available for SD15 and SDXL LoRA training (at least 0)
---@field validationPrompt? string Validation prompt. Only available for SD15 and SDXL LoRA training
---@field voiceDescription? string Description of the voice characteristics. Only available for ElevenLabs voice training
---@field wandbKey? string The Weights And Bias key to use for logging. The maximum length is 40 characters (at most 40 characters)

---@class scenario.Job
---@field createdAt string The job creation date as an ISO string (example: "2023-02-03T11:19:41.579Z")
---@field jobId string The job ID (example: "job_ocZCnG1Df35XRL1QyCZSRxAG8")
---@field jobType scenario.JobType The type of job
---@field metadata scenario.JobMetadata Metadata of the job with some additional information
---@field progress number Progress of the job (between 0 and 1) (from 0 to 1)
---@field status scenario.JobStatus The current status of the job
---@field statusHistory scenario.JobStatusHistory[] The history of the different statuses the job went through with the ISO string date of when the job reached each statuses.
---@field updatedAt string The job last update date as an ISO string (example: "2023-02-03T11:19:41.579Z")
---@field authorId? string The author user ID (example: "dcf121faaa1a0a0bbbd9ca1b73d62aea")
---@field billing? scenario.JobBilling The billing of the job
---@field ownerId? string The owner ID (example: "team_U3Qmc8PCdWXwAQJ4Dvw4tV6D")

---@class scenario.IpDetection
---@field action scenario.IpDetectionAction Whether and how detection affected the request.
---@field creativeUnitsCharged number IP-detection CU fee, separate from creativeUnitsCost: a fixed base fee plus a per-image fee for each analyzed input image.
---@field evaluatedFilters number Number of enabled filters evaluated for this request.
---@field findings scenario.Finding[] Per-filter verdicts gathered for this request.
---@field flagged boolean Convenience flag; always true when action is not 'allowed'.
---@field hasDetectorError? boolean True if one or more detectors errored while evaluating this request.

---@class scenario.TrainingImage
---@field id string The training image ID (example: "asset_GTrL3mq4SXWyMxkOHRxlpw")
---@field automaticCaptioning string Automatic captioning of the image
---@field createdAt string The training image upload date as an ISO string (example: "2023-02-03T11:19:41.579Z")
---@field description string Description for the image
---@field downloadUrl string The URL of the image
---@field name string The original file name of the image (example: "my-training-image.jpg")

---@class scenario.Inference
---@field prompt string Full text prompt including the model placeholder. (example: "an illustration of phoenix in a fantasy world, flying over a mountain, 8k, bokeh effect")
---@field type scenario.InferenceType The type of inference to use. Example: txt2img, img2img, etc. Selecting the right type will condition the expected parameters. Note: if model.type is `sd-xl*` or `sd-1_5*`, when using the `"inpaint"` inference type, Scenario determines the best available `baseModel` for a given `modelId`: one of `["stable-diffusion-inpainting", "stable-diffusion-xl-1.0-inpainting-0.1"]` will be used.
---@field aspectRatio? scenario.AspectRatio The aspect ratio of the generated images. Only used for the model flux.1.1-pro-ultra. The aspect ratio is a string formatted as "width:height" (example: "16:9"). (default: "1:1")
---@field baseModelId? string The base model to use for the inference. Only Flux LoRA models can use this parameter. Allowed values are available in the model's attribute: `compliantModelIds`
---@field concepts? scenario.Concept[] (No description on the reference page.)
---@field guidance? number Controls how closely the generated image follows the prompt. Higher values result in stronger adherence to the prompt. Default and allowed values depend on the model type: For Flux dev models, the default is 3.5 and allowed values are within [0, 10]; For Flux pro models, the default is 3 and allowed values are within [2, 5]; For SDXL models, the default is 6 and allowed values are within [0, 20]; For SD1.5 models, the default is 7.5 and allowed values are within [0, 20] (from 0 to 20)
---@field height? number The height of the generated images, must be a 8 multiple (within [64, 2048], default: 512) If model.type is `sd-xl`, `sd-xl-lora`, `sd-xl-composition` the height must be within [512, 2048] If model.type is `sd-1_5`, the height must be within [64, 1024] If model.type is `flux.1.1-pro-ultra`, you can use the aspectRatio parameter instead (from 64 to 2048)
---@field hideResults? boolean If set, generated assets will be hidden and not returned in the list of images of the inference or when listing assets (default: false)
---@field intermediateImages? boolean Enable or disable the intermediate images generation (default: false)
---@field modelEpoch? string The epoch of the model to use for the inference. Only available for Flux Lora Trained models.
---@field negativePrompt? string The prompt not to guide the image generation, ignored when guidance < 1 (example: "((ugly face))") For Flux based model (not Fast-Flux): requires negativePromptStrength > 0 and active only for inference types txt2img / img2img / controlnet.
---@field negativePromptStrength? number Only applicable for flux-dev based models for `txt2img`, `img2img`, and `controlnet` inference types. Controls the influence of the negative prompt. Default 0 means the negative prompt has no effect. Higher values increase negative prompt influence. Must be > 0 if negativePrompt is provided. (from 0 to 10)
---@field numInferenceSteps? number The number of denoising steps for each image generation (within [1, 150], default: 30) (from 1 to 150)
---@field numSamples? number The number of images to generate (within [1, 128], default: 4) (from 1 to 128)
---@field scheduler? scenario.Scheduler The scheduler to use to override the default configured for the model. See detailed documentation for more details.
---@field seed? string Used to reproduce previous results. Default: randomly generated number.
---@field width? number The width of the generated images, must be a 8 multiple (within [64, 2048], default: 512) If model.type is `sd-xl`, `sd-xl-lora`, `sd-xl-composition` the width must be within [512, 2048] If model.type is `sd-1_5`, the width must be within [64, 1024] If model.type is `flux.1.1-pro-ultra`, you can use the aspectRatio parameter instead (from 64 to 2048)

---@class scenario.Asset
---@field authorId string The author user ID (example: "dcf121faaa1a0a0bbbd9ca1b73d62aea")
---@field collectionIds string[] A list of CollectionId this asset belongs to
---@field createdAt string The asset creation date as an ISO string (example: "2023-02-03T11:19:41.579Z")
---@field editCapabilities scenario.EditCapability[] List of edit capabilities
---@field id string The asset ID (example: "asset_GTrL3mq4SXWyMxkOHRxlpw")
---@field kind scenario.InputKind The kind of asset
---@field metadata table<string, any> Metadata of the asset with some additional information (its `kind` and `type`, and how it was made: `prompt`, `modelId`, `seed`...)
---@field mimeType string The mime type of the asset (example: "image/png")
---@field ownerId string The owner (project) ID (example: "proj_23tlk332lkht3kl2" or "team_dlkhgs23tlk3hlkth32lkht3kl2" for old teams)
---@field privacy scenario.Privacy The privacy of the asset
---@field properties scenario.AssetProperties The properties of the asset, content may depend on the kind of asset returned
---@field source scenario.AssetSource source of the asset
---@field status scenario.AssetStatus The actual status
---@field tags string[] The associated tags (example: ["sci-fi", "landscape"])
---@field updatedAt string The asset last update date as an ISO string (example: "2023-02-03T11:19:41.579Z")
---@field url string Signed URL to get the asset content
---@field automaticCaptioning? string Automatic captioning of the asset
---@field description? string The description, it will contain in priority: the manual description; the advanced captioning when the asset is used in training flow; the automatic captioning
---@field embedding? number[] The embedding of the asset when requested. Only available when an asset can be embedded (ie: not Detection maps)
---@field firstFrame? scenario.AssetRef The video asset's first frame. Contains the assetId and the url of the first frame.
---@field lastFrame? scenario.AssetRef The video asset's last frame. Contains the assetId and the url of the last frame.
---@field nsfw? string[] The NSFW labels
---@field outputIndex? number The output index of the asset within a job This index is an positive integer that starts at 0 It is used to differentiate between multiple outputs of the same job If the job has only one output, this index is 0 (at least 0)
---@field preview? scenario.AssetRef The asset's preview. Contains the assetId and the url of the preview.
---@field thumbnail? scenario.AssetRef The asset's thumbnail. Contains the assetId and the url of the thumbnail.

---@class scenario.ModelClass
---@field category string The category slug of the class (example: "art-style")
---@field conceptPrompt string The concept prompt of the class (example: "a sks character design")
---@field modelId string The model ID of the class (example: "stable-diffusion-v1-5")
---@field name string The class name (example: "Character Design")
---@field prompt string The class prompt (example: "a character design")
---@field slug string The class slug (example: "art-style-character-design")
---@field status scenario.ClassStatus The class status (only published classes are listed, but unpublished classes can still appear in existing models)
---@field thumbnails string[] Some example images URLs to showcase the class

---@class scenario.ModelEpoch
---@field epoch string The epoch hash to identify the epoch
---@field assets? scenario.AssetRef[] The assets of the epoch if sample prompts as been supplied during training

---@class scenario.ModelInput
---@field name string The name that must be user to call the model through the API
---@field type scenario.InputType The data type of the input
---@field allowedValues? any[] The allowed values for the input. For `string` or `number` types, creates a single-select dropdown. For `string_array` type, creates a multi-select dropdown.
---@field backgroundBehavior? scenario.BackgroundBehavior Specifies the background behavior for the input. Only available for `file` and `file_array` input types with kind `image`.
---@field color? boolean Whether the input is a color or not. Only available for `string` input type.
---@field costImpact? boolean Whether this input affects the model's cost calculation
---@field default? any The default value for the input
---@field description? string Help text displayed in the UI to provide additional information about the input
---@field group? string Used to visually group inputs together in the UI. Inputs with the same group value appear consecutively in the UI.
---@field hint? string Hint text displayed in the UI as a tooltip to guide the user
---@field inputs? (table<string, any>)[] The list of inputs which form an object within a container array. All inputs are the same as the current object. This is only available for type inputs_array inputs.
---@field kind? scenario.InputKind The asset kind of the input. Only taken into account for `file` and `file_array` input types. If model provides multiple kinds, the input will be not able to create the asset on the flight on API side with dataurl without data:kind, prefix
---@field label? string The label displayed in the UI for this input
---@field maskFrom? string The name of the file input field to use as the mask source
---@field max? number The maximum allowed value. Only available for `number` and `array` input types.
---@field maxLength? number The maximum allowed length for `string` inputs. Also applies to each item in `string_array`.
---@field maxSize? number The maximum allowed file size in bytes. Only applies to `file` and `file_array` input types. Validated against `asset.properties.size` at job creation time.
---@field min? number The minimum allowed value. Only available for `number` and array input types.
---@field minLength? number The minimum allowed length for string inputs. Also applies to each item in `string_array`.
---@field modelTypes? scenario.ModelType[] The allowed model types for this input. Example: `["flux.1-lora"]`. Only available for `model_array` input type.
---@field parent? boolean Whether this input represents a parent asset to assign to the produced assets. Only available for `file` and `file_array` input types. For `file_array`, the parent asset is the first item in the array.
---@field placeholder? string Placeholder text for the input. Only available for 'string' input type.
---@field prompt? boolean Whether the input is a prompt. When true, displays as a text area with prompt spark feature. Only available for `string` input type.
---@field promptSpark? boolean Whether the input is used with prompt spark. Only available for `string` input type.
---@field required? scenario.ModelInputRequired Set of rules that describes when this input is required. By default, the input is not required.
---@field step? number The step increment for numeric inputs. Only available for `number` input type. (at least 1)

---@class scenario.ModelPerformanceStats
---@field variants scenario.ModelPerformanceStatsVariant[] Performance metrics per variant
---@field default? string Default variant key for quick model comparison

---@class scenario.AssetRef
---@field assetId string The AssetId of the image (example: "asset_GTrL3mq4SXWyMxkOHRxlpw")
---@field url string The url of the asset

---@class scenario.ModelTrainingImagePair
---@field instruction? string The instruction for the image pair, source to target
---@field sourceId? string The source asset ID (must be a training asset)
---@field targetId? string The target asset ID (must be a training asset)

---@class scenario.ModelTrainingProgress
---@field stage scenario.TrainingStage The stage of the request
---@field updatedAt number Timestamp in milliseconds of the last time the training progress was updated
---@field position? number Position of the job in the queue (ie. the number of job in the queue before this one)
---@field progress? number The progress of the job (from 0 to 1)
---@field remainingTimeMs? number The remaining time in milliseconds
---@field startedAt? number The timestamp in millisecond marking the start of the process

---@class scenario.ModelTrainingStats
---@field endedAt? string The training end time as an ISO date string
---@field queueDuration? number The training queued duration in seconds
---@field startedAt? string The training start time as an ISO date string
---@field trainDuration? number The training duration in seconds

---@class scenario.ModelUiConfig
---@field inputProperties? table<string, scenario.ModelUiConfigInputProperty> Configuration for the input properties
---@field lorasComponent? scenario.ModelUiConfigLorasComponent Configuration for the loras component
---@field presets? scenario.ModelUiConfigPreset[] Configuration for the presets
---@field resolutionComponent? scenario.ModelUiConfigResolutionComponent Configuration for the resolution component
---@field selects? table<string, any> Configuration for the selects
---@field triggerGenerate? scenario.ModelUiConfigTriggerGenerate Configuration for the trigger generate button

---@class scenario.JobMetadata
---@field assetIds? string[] List of produced assets for this job
---@field error? string Eventual error for the job
---@field flow? (table<string, any>)[] The flow of the job. Only available for workflow jobs.
---@field hint? string Actionable hint for the user explaining what went wrong and how to resolve it.
---@field input? table<string, any> The inputs for the job
---@field output? table<string, any> May contain the output of the job for specific custom models jobs. Only available for custom models which generate non-assets outputs. Example: LLM text results.
---@field outputModelId? string For voice-clone jobs: the ID of the model being trained.
---@field workflowId? string The workflow ID of the job if job is part of a workflow.
---@field workflowJobId? string The workflow job ID of the job if job is part of a workflow job.

---@class scenario.JobStatusHistory
---@field date string (No description on the reference page.)
---@field status scenario.JobStatus (No description on the reference page.)

---@class scenario.JobBilling
---@field cuCost number (No description on the reference page.)
---@field cuDiscount number (No description on the reference page.)
---@field disableRefund? boolean When true, the credits charged for this job are not automatically refunded if the generation fails, because the model used does not support refund-on-failure. Absent or false means a failed generation is refunded as usual.

---@class scenario.Finding
---@field category scenario.FindingCategory Category of the filter that produced this verdict.
---@field confidence number Confidence score from 0 (low) to 1 (high). (from 0 to 1)
---@field filterId string Identifier of the filter that produced this verdict.
---@field filterName string Display name of the filter that produced this verdict.
---@field flagged boolean Whether this filter considered the request an IP risk.
---@field reason string Short, user-facing explanation of the verdict.
---@field entities? string[] Named entities the filter recognized (e.g. characters, brands, people).

---@class scenario.AssetProperties
---@field size number (No description on the reference page.)
---@field animationFrameCount? number Number of animation frames if animations exist
---@field bitrate? number Bitrate of the media in bits per second
---@field boneCount? number Number of bones if skeleton exists
---@field channels? number Number of channels of the audio
---@field classification? scenario.AudioClassification Classification of the audio
---@field codecName? string Codec name of the media
---@field description? string Description of the audio
---@field dimensions? any[] Bounding box dimensions [width, height, depth]
---@field duration? number Duration of the media in seconds
---@field faceCount? number Number of faces/triangles in the mesh
---@field format? string Format of the mesh file (e.g. 'glb', etc.)
---@field frameRate? number Frame rate of the video in frames per second
---@field hasAnimations? boolean Whether the mesh has animations
---@field hasNormals? boolean Whether the mesh has normal vectors
---@field hasSkeleton? boolean Whether the mesh has bones/skeleton
---@field hasUVs? boolean Whether the mesh has UV coordinates
---@field height? number (No description on the reference page.)
---@field nbFrames? number Number of frames in the video
---@field sampleRate? number Sample rate of the media in Hz
---@field transcription? scenario.AssetPropertiesTranscription Transcription of the audio
---@field vertexCount? number Number of vertices in the mesh
---@field width? number (No description on the reference page.)

---@class scenario.ModelInputRequired
---@field always? boolean Whether the input is always required
---@field conditionalValues? any Makes this input required when another input has a specific value: Key: name of the input to check; Value: operation and allowed values that trigger the requirement
---@field ifDefined? any Makes this input required when another input is defined: Key: name of the input that must be defined; Value: message to display when this input is required
---@field ifNotDefined? any Makes this input required when another input is not defined: Key: name of the input that must be undefined; Value: message to display when this input is required

---@class scenario.ModelPerformanceStatsVariant
---@field capability string The generation capability (example: "txt2img", "img2video", "txt2audio")
---@field computedAt string When these stats were last computed (ISO date)
---@field variantKey string Unique variant identifier (example: "txt2img:1K", "img2video:2K", "txt2audio")
---@field arenaScore? scenario.ModelPerformanceStatsVariantArenaScore External quality score from arena.ai leaderboard
---@field costPerAssetMaxCU? number Maximum cost per output asset (CU)
---@field costPerAssetMinCU? number Minimum cost per output asset (CU)
---@field costPerAssetP50CU? number Median cost per output asset (CU)
---@field inferenceLatencyP50Sec? number Inference latency P50 per output asset (seconds)
---@field inferenceLatencyP75Sec? number Inference latency P75 per output asset (seconds)
---@field resolution? string The resolution bucket (example: "0.5K", "1K", "2K", "4K")
---@field totalLatencyP50Sec? number Total latency P50 per output asset, including queue time (seconds)
---@field totalLatencyP75Sec? number Total latency P75 per output asset, including queue time (seconds)

---@class scenario.ModelUiConfigInputProperty
---@field collapsed? boolean (No description on the reference page.)

---@class scenario.ModelUiConfigLorasComponent
---@field label string The label of the component
---@field modelInput string The input name of the model (model_array)
---@field scaleInput string The input name of the scale (number_array)
---@field modelIdInput? string The input model id (example: a composition or a single LoRA modelId) If specified, the model id will be attached to the output asset as a metadata If the model-decomposer parser is specified on it, modelInput and scaleInput will be automatically populated

---@class scenario.ModelUiConfigPreset
---@field fields string[] (No description on the reference page.)
---@field presets? any (No description on the reference page.)

---@class scenario.ModelUiConfigResolutionComponent
---@field heightInput string The input name of the height
---@field label string The label of the component
---@field presets scenario.ModelUiConfigResolutionComponentPreset[] The resolution presets
---@field widthInput string The input name of the width

---@class scenario.ModelUiConfigTriggerGenerate
---@field label string (No description on the reference page.)
---@field after? string The 'name' of the input where the trigger generate button will be displayed (after the input). Do not specify both position and after.
---@field position? scenario.TriggerPosition The position of the trigger generate button. If position specified, the button will be displayed at the specified position. Do not specify both position and after.

---@class scenario.AssetPropertiesTranscription
---@field text string (No description on the reference page.)

---@class scenario.ModelPerformanceStatsVariantArenaScore
---@field arenaCategory string Arena category (example: "text_to_image", "image_to_video")
---@field arenaModelName string Model name on arena.ai
---@field fetchedAt string When this score was last fetched (ISO date)
---@field rank number Rank in the arena category
---@field rating number ELO rating
---@field ratingLower number ELO rating confidence interval lower bound
---@field ratingUpper number ELO rating confidence interval upper bound
---@field votes number Number of human votes

---@class scenario.ModelUiConfigResolutionComponentPreset
---@field height number (No description on the reference page.)
---@field label string (No description on the reference page.)
---@field width number (No description on the reference page.)

-- ---- errors and results ----

---@alias scenario.ErrorKind "validation"|"bad_request"|"authentication"|"permission_denied"|"not_found"|"conflict"|"unprocessable"|"rate_limit"|"server"|"http"|"connection"|"timeout"|"invalid_response"|"cancelled"|"internal"|"pending"|"training_failed"|"training_canceled"|"file"

---An error value: `nil, err` from every call that can fail at run time.
---@class scenario.Error
---@field kind scenario.ErrorKind What went wrong. One of: `validation` (the body or query breaks the schema; nothing was sent), `bad_request` (HTTP 400), `authentication` (401), `permission_denied` (403), `not_found` (404), `conflict` (409), `unprocessable` (422), `rate_limit` (429), `server` (500 and above), `http` (any other non-2xx status, a redirect among them: redirects are not followed), `connection` (no answer: refused, reset, DNS, TLS), `timeout` (the exchange took longer than the `timeout` option, or connecting longer than `connect_timeout`), `invalid_response` (a 2xx that is not the documented JSON, or a response over `max_response_bytes`), `cancelled` (`req:cancel()`, or the client closed with the request in flight), `internal` (the response arrived but could not be taken in: memory ran out; not retried, since the call may have succeeded), `pending` (`req:wait(timeout)` timed out; the request goes on), `training_failed` (`wait_for_training`: the training ended as `failed`), `training_canceled` (`wait_for_training`: the training was canceled), `file` (`data_url`: the file is missing, unreadable or too large).
---@field message string A readable description; for `validation`, every problem with its path. Text from the server is kept as sent; `tostring(err)` escapes it.
---@field method? string The HTTP method of the exchange, such as `"POST"`.
---@field url? string The URL of the exchange, query included; it never holds credentials.
---@field status? integer The HTTP status, when one arrived.
---@field code? string The API's error code, such as `"RATE_LIMIT_EXCEEDED"`, from the error body or the `x-amzn-errortype` header, when there is one.
---@field body? string The raw response body, when the whole response arrived.
---@field headers? table The response headers, with lower-case names, when the whole response arrived.
---@field retry_after? number Seconds the server asked to wait (`Retry-After` or `retry-after-ms`). When that is longer than the `max_retry_after` option, the call returns the error instead of waiting.
---@field attempts? integer How many attempts were made: 0 when nothing was sent (from `validate_create_model`, or a `validation` error of a client method).
---@field errors? table[] For `validation` and `invalid_response`: the problems, each `{path = "concepts[2].scale", message = "..."}` (paths use 1-based indices); at most 64 of them.
---@field error_count? integer With `errors`: how many problems there were in all.
---@field sent? boolean For `connection` and `timeout`: whether any byte of the request left, that is whether the server may have acted on it.
---@field curl_code? integer For `connection`, `timeout` and an over-size `invalid_response`: libcurl's `CURLcode`.
---@field certificate? boolean For `connection`: true when the server's certificate could not be verified (or the CA file could not be read). Such a failure is not retried.

---What a successful call returns beside its result.
---@class scenario.Meta
---@field status integer the HTTP status
---@field headers table<string, string> the response headers, with lower-case names
---@field body string the raw response body
---@field attempts integer how many attempts were made
---@field problems? table[] where the answer is not of the documented shape: `{path, message}` each

---Options every method takes as its last argument.
---@class (exact) scenario.CallOptions
---@field timeout? number seconds for each attempt of this call, instead of the client's `timeout`
---@field max_retries? integer retries after the first attempt, instead of the client's `max_retries`
---@field headers? table<string, string> extra request headers (not Authorization, Content-Type, Content-Length, Transfer-Encoding or Host; no CR or LF)

---The options of a method with a body.
---@class (exact) scenario.BodyCallOptions: scenario.CallOptions
---@field extra_body? table fields sent as they are, unvalidated, for fields newer than this version

---@alias scenario.OnDone fun(result: any, meta_or_err: scenario.Meta|scenario.Error)

---@class (exact) scenario.AsyncCallOptions: scenario.CallOptions
---@field on_done? scenario.OnDone called once when the request ends

---@class (exact) scenario.AsyncBodyCallOptions: scenario.BodyCallOptions
---@field on_done? scenario.OnDone called once when the request ends

---client:request's options.
---@class scenario.RequestOptions
---@field body? any sent as JSON without a schema (`scenario.null` is null, `scenario.array()` is [])
---@field query? table<string, string|number|boolean|(string|number|boolean)[]> percent-encoded
---@field timeout? number
---@field max_retries? integer
---@field headers? table<string, string>
---@field on_done? fun(result: any, meta_or_err: scenario.Meta|scenario.Error) (request_async only)

---scenario.new's options.
---@class (exact) scenario.Options
---@field api_key? string default: env `SCENARIO_SDK_API_KEY`; sent as HTTP Basic auth
---@field api_secret? string default: env `SCENARIO_SDK_API_SECRET`
---@field base_url? string default: env `SCENARIO_BASE_URL`, else `https://api.cloud.scenario.com/v1`; must be https unless the host is loopback or `allow_insecure` is set
---@field allow_insecure? boolean allow a plain http `base_url` to any host (default false)
---@field timeout? number seconds for a whole exchange, in (0, 1e6] (default 60)
---@field connect_timeout? number seconds to connect, in (0, 1e6] (default 10)
---@field max_retries? integer retries after the first attempt (default 2)
---@field project_id? string sent as the `projectId` query parameter
---@field retry_unsafe? boolean also retry 5xx answers, timeouts and connections lost after sending, which may create a model twice (default false)
---@field max_retry_after? number longest `Retry-After`, in seconds, the client will wait out; a longer one is returned as `err.retry_after` (default 60)
---@field max_response_bytes? integer larger responses are refused (default 16 MiB)
---@field max_request_bytes? integer larger request bodies are refused, nothing sent; it also bounds the walk of a body made of shared subtables (default 16 MiB)
---@field strict_responses? boolean a 2xx of another shape than the documented one is an `invalid_response` error, instead of a success with `meta.problems` (default false)
---@field ca_file? string PEM certificates to trust instead of libcurl's bundle (the CA of a proxy that inspects TLS, say); `new` raises if it cannot be read
---@field ca_path? string a directory of PEM certificates (`openssl rehash`)
---@field proxy? string|false a proxy URL (http, https, socks4, socks4a, socks5, socks5h), or false for none; by default libcurl's environment variables (`http_proxy`, `HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`) apply, except for a loopback `base_url`, which never goes through them
---@field http_version? string `"1.1"`, or `"2"`; by default HTTP/2 when TLS negotiates it (ALPN) and HTTP/1.1 otherwise. Over HTTP/2, concurrent requests share one connection. `"2"` over plain http speaks HTTP/2 with prior knowledge (h2c), for a local server known to speak it (libcurl 8.0 or later; `new` raises on an older one)
---@field user_agent? string default: `scenario-lua/VERSION libcurl/VERSION`
---@field logger? function `function(level, line)`: `"debug"` lines for each attempt and its status and duration, `"info"` for retries, `"warn"` for failures and for responses with shape problems; each names the method and path; built without headers, so never with credentials, and with server text escaped
---@field max_concurrent? integer requests with a transfer in flight at once; more wait their turn (default 8)
---@field yield_in_coroutines? boolean `create_model` yields (the request) instead of blocking in any coroutine, not only in those of `spawn` (default false)
---@field sleep? function `function(seconds)`, default a blocking sleep; `req:wait` and the blocking calls sleep out a retry's backoff with it
---@field random? function `function()` returning a number in [0, 1), default `math.random`; used for the jitter between retries
---@field record? string a directory to record every exchange into, as fixtures that `scenario.testing` replays (default: env `SCENARIO_RECORD`); the Authorization header, the key and the secret are replaced by a marker in every recorded byte (see `scenario.recording`)
---@field transport? table a table with the call functions of `scenario.core` (`start`, `submit`, `perform`, `state`, `finish`, `cancel`); for tests

-- ---- requests in flight ----

---A request in flight: what every `_async` method returns.
---@class scenario.Request
local Request = {}
---Moves this request, and every other one of its client, forward without blocking.
---@return boolean done
function Request:poll() end
---Whether the request has finished, without moving anything.
---@return boolean
function Request:done() end
---The result of a finished request, as the blocking call returns it (raises before it has finished).
---@return any result
---@return scenario.Meta|scenario.Error meta_or_err
function Request:result() end
---Blocks until the request finishes, or until `timeout` seconds pass (then `nil, err` of kind `pending`).
---@param timeout? number
---@return any result
---@return scenario.Meta|scenario.Error meta_or_err
function Request:wait(timeout) end
---Stops the request: it ends with an error of kind `cancelled`.
---@return boolean was_in_flight
function Request:cancel() end

---A wait for a training or a job: what `wait_for_training_async` and `wait_for_job_async` return;
---the methods of a request.
---@class scenario.Wait: scenario.Request

---@class scenario.WaitOptions
---@field interval? number seconds between polls at first (default 5)
---@field max_interval? number the longest interval, backing off while nothing changes (default 30)
---@field timeout? number seconds before the wait ends with kind `timeout` (none by default)
---@field on_progress? fun(model: scenario.Model) called when the status or training progress changes
---@field on_done? fun(model: scenario.Model|nil, meta_or_err: scenario.Meta|scenario.Error) (async only)
---@field query? scenario.ModelQuery get_model's query

---@class scenario.JobWaitOptions
---@field interval? number seconds between polls at first (default 3)
---@field max_interval? number the longest interval, backing off while nothing changes (default 30)
---@field timeout? number seconds before the wait ends with kind `timeout` (none by default)
---@field on_progress? fun(job: scenario.Job) called when the status or the progress changes
---@field on_done? fun(job: scenario.Job|nil, meta_or_err: scenario.Meta|scenario.Error) (async only)
---@field query? table get_job's query (`projectId`)

---A file's transfer: what `download_asset_async` returns; the methods of a request.
---@class scenario.Download: scenario.Request

---@class scenario.DownloadOptions
---@field on_progress? fun(done: integer, total: integer|nil) bytes so far, and the file's length if known
---@field max_bytes? integer the largest file taken (default 1 GiB to a path, 64 MiB in memory)
---@field timeout? number seconds without a byte before a transfer fails
---@field max_retries? integer retries of each transfer
---@field on_done? fun(path_or_bytes: string|nil, meta_or_err: scenario.DownloadMeta|scenario.Error) (async only)

---@class scenario.DownloadMeta
---@field status integer
---@field bytes integer the file's length
---@field mime string|nil its media type, lower-case, without parameters
---@field path string|nil where it went
---@field attempts integer

---@class scenario.JobDownloadOptions
---@field on_progress? fun(done: integer, total: integer, path: string) as each file arrives
---@field max_bytes? integer the largest file taken (default 1 GiB)
---@field timeout? number seconds without a byte before a transfer fails
---@field max_retries? integer retries of each transfer

-- ---- the client ----

---A client of the Scenario API: `scenario.new(opts)`.
---@class scenario.Client
---@field base_url string
---@field project_id? string
local Client = {}

---Creates a model. POST /models.
---@param body? scenario.CreateModelBody
---@param query? scenario.ModelQuery
---@param opts? scenario.BodyCallOptions
---@return scenario.Model|nil result
---@return scenario.Meta|scenario.Error meta_or_err
function Client:create_model(body, query, opts) end

---Creates a model, without blocking (POST /models).
---@param body? scenario.CreateModelBody
---@param query? scenario.ModelQuery
---@param opts? scenario.AsyncBodyCallOptions
---@return scenario.Request|nil req
---@return scenario.Error? err a `validation` error
function Client:create_model_async(body, query, opts) end

---Gets a model, with its training status and progress. GET /models/{modelId}.
---@param modelId string a non-empty string, percent-encoded into the path
---@param query? scenario.ModelQuery
---@param opts? scenario.CallOptions
---@return scenario.Model|nil result
---@return scenario.Meta|scenario.Error meta_or_err
function Client:get_model(modelId, query, opts) end

---Gets a model, with its training status and progress, without blocking (GET /models/{modelId}).
---@param modelId string a non-empty string, percent-encoded into the path
---@param query? scenario.ModelQuery
---@param opts? scenario.AsyncCallOptions
---@return scenario.Request|nil req
---@return scenario.Error? err a `validation` error
function Client:get_model_async(modelId, query, opts) end

---Lists models, a page at a time. GET /models.
---@param query? scenario.ListModelsQuery
---@param opts? scenario.CallOptions
---@return scenario.ModelsPage|nil result
---@return scenario.Meta|scenario.Error meta_or_err
function Client:list_models(query, opts) end

---Lists models, a page at a time, without blocking (GET /models).
---@param query? scenario.ListModelsQuery
---@param opts? scenario.AsyncCallOptions
---@return scenario.Request|nil req
---@return scenario.Error? err a `validation` error
function Client:list_models_async(query, opts) end

---Every item of `list_models`, across its pages; on a failure it yields `false, err` once and ends.
---@param query? scenario.ListModelsQuery
---@param opts? scenario.CallOptions
---@return fun(): scenario.Model|false|nil, scenario.Error?
function Client:each_model(query, opts) end

---Updates a model: its name, description, class, type, concepts, parameters... PUT /models/{modelId}.
---@param modelId string a non-empty string, percent-encoded into the path
---@param body? scenario.UpdateModelBody
---@param query? scenario.ModelQuery
---@param opts? scenario.BodyCallOptions
---@return scenario.Model|nil result
---@return scenario.Meta|scenario.Error meta_or_err
function Client:update_model(modelId, body, query, opts) end

---Updates a model: its name, description, class, type, concepts, parameters.., without blocking (PUT /models/{modelId}).
---@param modelId string a non-empty string, percent-encoded into the path
---@param body? scenario.UpdateModelBody
---@param query? scenario.ModelQuery
---@param opts? scenario.AsyncBodyCallOptions
---@return scenario.Request|nil req
---@return scenario.Error? err a `validation` error
function Client:update_model_async(modelId, body, query, opts) end

---Deletes a model. DELETE /models/{modelId}.
---@param modelId string a non-empty string, percent-encoded into the path
---@param query? scenario.ProjectQuery
---@param opts? scenario.CallOptions
---@return true|nil result
---@return scenario.Meta|scenario.Error meta_or_err
function Client:delete_model(modelId, query, opts) end

---Deletes a model, without blocking (DELETE /models/{modelId}).
---@param modelId string a non-empty string, percent-encoded into the path
---@param query? scenario.ProjectQuery
---@param opts? scenario.AsyncCallOptions
---@return scenario.Request|nil req
---@return scenario.Error? err a `validation` error
function Client:delete_model_async(modelId, query, opts) end

---Starts the training of a model (or, with dryRun, says what it would cost). PUT /models/{modelId}/train.
---@param modelId string a non-empty string, percent-encoded into the path
---@param body? scenario.TrainModelBody
---@param query? scenario.TrainModelQuery
---@param opts? scenario.BodyCallOptions
---@return scenario.TrainModelResponse|nil result
---@return scenario.Meta|scenario.Error meta_or_err
function Client:train_model(modelId, body, query, opts) end

---Starts the training of a model (or, with dryRun, says what it would cost), without blocking (PUT /models/{modelId}/train).
---@param modelId string a non-empty string, percent-encoded into the path
---@param body? scenario.TrainModelBody
---@param query? scenario.TrainModelQuery
---@param opts? scenario.AsyncBodyCallOptions
---@return scenario.Request|nil req
---@return scenario.Error? err a `validation` error
function Client:train_model_async(modelId, body, query, opts) end

---Cancels the training of a model. POST /models/{modelId}/train/action.
---@param modelId string a non-empty string, percent-encoded into the path
---@param query? scenario.ModelQuery
---@param opts? scenario.CallOptions
---@return scenario.Model|nil result
---@return scenario.Meta|scenario.Error meta_or_err
function Client:cancel_training(modelId, query, opts) end

---Cancels the training of a model, without blocking (POST /models/{modelId}/train/action).
---@param modelId string a non-empty string, percent-encoded into the path
---@param query? scenario.ModelQuery
---@param opts? scenario.AsyncCallOptions
---@return scenario.Request|nil req
---@return scenario.Error? err a `validation` error
function Client:cancel_training_async(modelId, query, opts) end

---Adds training images to a model: one as a data URL, or assets by id. POST /models/{modelId}/training-images.
---@param modelId string a non-empty string, percent-encoded into the path
---@param body? scenario.AddTrainingImagesBody
---@param query? scenario.ModelQuery
---@param opts? scenario.BodyCallOptions
---@return scenario.TrainingImage|nil result
---@return scenario.Meta|scenario.Error meta_or_err
function Client:add_training_images(modelId, body, query, opts) end

---Adds training images to a model: one as a data URL, or assets by id, without blocking (POST /models/{modelId}/training-images).
---@param modelId string a non-empty string, percent-encoded into the path
---@param body? scenario.AddTrainingImagesBody
---@param query? scenario.ModelQuery
---@param opts? scenario.AsyncBodyCallOptions
---@return scenario.Request|nil req
---@return scenario.Error? err a `validation` error
function Client:add_training_images_async(modelId, body, query, opts) end

---Adds and removes tags of a model. PUT /models/{modelId}/tags.
---@param modelId string a non-empty string, percent-encoded into the path
---@param body? scenario.UpdateModelTagsBody
---@param query? scenario.ProjectQuery
---@param opts? scenario.BodyCallOptions
---@return scenario.UpdateModelTagsResponse|nil result
---@return scenario.Meta|scenario.Error meta_or_err
function Client:update_model_tags(modelId, body, query, opts) end

---Adds and removes tags of a model, without blocking (PUT /models/{modelId}/tags).
---@param modelId string a non-empty string, percent-encoded into the path
---@param body? scenario.UpdateModelTagsBody
---@param query? scenario.ProjectQuery
---@param opts? scenario.AsyncBodyCallOptions
---@return scenario.Request|nil req
---@return scenario.Error? err a `validation` error
function Client:update_model_tags_async(modelId, body, query, opts) end

---Runs a model on the inputs it declares, by name (or, with dryRun, says what it would cost). POST /generate/custom/{modelId}.
---@param modelId string a non-empty string, percent-encoded into the path
---@param body? table<string, any>
---@param query? scenario.GenerateCustomQuery
---@param opts? scenario.BodyCallOptions
---@return scenario.GenerateCustomResponse|scenario.DryRunResponse|nil result
---@return scenario.Meta|scenario.Error meta_or_err
function Client:generate(modelId, body, query, opts) end

---Runs a model on the inputs it declares, by name (or, with dryRun, says what it would cost), without blocking (POST /generate/custom/{modelId}).
---@param modelId string a non-empty string, percent-encoded into the path
---@param body? table<string, any>
---@param query? scenario.GenerateCustomQuery
---@param opts? scenario.AsyncBodyCallOptions
---@return scenario.Request|nil req
---@return scenario.Error? err a `validation` error
function Client:generate_async(modelId, body, query, opts) end

---Generates images from a prompt (or, with dryRun, says what it would cost). POST /generate/txt2img.
---@param body? scenario.Txt2imgBody
---@param query? scenario.GenerateQuery
---@param opts? scenario.BodyCallOptions
---@return scenario.InferenceResponse|scenario.DryRunResponse|nil result
---@return scenario.Meta|scenario.Error meta_or_err
function Client:generate_txt2img(body, query, opts) end

---Generates images from a prompt (or, with dryRun, says what it would cost), without blocking (POST /generate/txt2img).
---@param body? scenario.Txt2imgBody
---@param query? scenario.GenerateQuery
---@param opts? scenario.AsyncBodyCallOptions
---@return scenario.Request|nil req
---@return scenario.Error? err a `validation` error
function Client:generate_txt2img_async(body, query, opts) end

---Generates images from a prompt and an image (or, with dryRun, says what it would cost). POST /generate/img2img.
---@param body? scenario.Img2imgBody
---@param query? scenario.GenerateQuery
---@param opts? scenario.BodyCallOptions
---@return scenario.InferenceResponse|scenario.DryRunResponse|nil result
---@return scenario.Meta|scenario.Error meta_or_err
function Client:generate_img2img(body, query, opts) end

---Generates images from a prompt and an image (or, with dryRun, says what it would cost), without blocking (POST /generate/img2img).
---@param body? scenario.Img2imgBody
---@param query? scenario.GenerateQuery
---@param opts? scenario.AsyncBodyCallOptions
---@return scenario.Request|nil req
---@return scenario.Error? err a `validation` error
function Client:generate_img2img_async(body, query, opts) end

---Gets a job: its status, its progress and the assets it made. GET /jobs/{jobId}.
---@param jobId string a non-empty string, percent-encoded into the path
---@param query? scenario.ProjectQuery
---@param opts? scenario.CallOptions
---@return scenario.Job|nil result
---@return scenario.Meta|scenario.Error meta_or_err
function Client:get_job(jobId, query, opts) end

---Gets a job: its status, its progress and the assets it made, without blocking (GET /jobs/{jobId}).
---@param jobId string a non-empty string, percent-encoded into the path
---@param query? scenario.ProjectQuery
---@param opts? scenario.AsyncCallOptions
---@return scenario.Request|nil req
---@return scenario.Error? err a `validation` error
function Client:get_job_async(jobId, query, opts) end

---Lists jobs, a page at a time. GET /jobs.
---@param query? scenario.ListJobsQuery
---@param opts? scenario.CallOptions
---@return scenario.JobsPage|nil result
---@return scenario.Meta|scenario.Error meta_or_err
function Client:list_jobs(query, opts) end

---Lists jobs, a page at a time, without blocking (GET /jobs).
---@param query? scenario.ListJobsQuery
---@param opts? scenario.AsyncCallOptions
---@return scenario.Request|nil req
---@return scenario.Error? err a `validation` error
function Client:list_jobs_async(query, opts) end

---Every item of `list_jobs`, across its pages; on a failure it yields `false, err` once and ends.
---@param query? scenario.ListJobsQuery
---@param opts? scenario.CallOptions
---@return fun(): scenario.Job|false|nil, scenario.Error?
function Client:each_job(query, opts) end

---Cancels a job. POST /jobs/{jobId}/action.
---@param jobId string a non-empty string, percent-encoded into the path
---@param query? scenario.ProjectQuery
---@param opts? scenario.CallOptions
---@return scenario.Job|nil result
---@return scenario.Meta|scenario.Error meta_or_err
function Client:cancel_job(jobId, query, opts) end

---Cancels a job, without blocking (POST /jobs/{jobId}/action).
---@param jobId string a non-empty string, percent-encoded into the path
---@param query? scenario.ProjectQuery
---@param opts? scenario.AsyncCallOptions
---@return scenario.Request|nil req
---@return scenario.Error? err a `validation` error
function Client:cancel_job_async(jobId, query, opts) end

---Gets an asset, with the signed URL of its file. GET /assets/{assetId}.
---@param assetId string a non-empty string, percent-encoded into the path
---@param query? scenario.GetAssetQuery
---@param opts? scenario.CallOptions
---@return scenario.Asset|nil result
---@return scenario.Meta|scenario.Error meta_or_err
function Client:get_asset(assetId, query, opts) end

---Gets an asset, with the signed URL of its file, without blocking (GET /assets/{assetId}).
---@param assetId string a non-empty string, percent-encoded into the path
---@param query? scenario.GetAssetQuery
---@param opts? scenario.AsyncCallOptions
---@return scenario.Request|nil req
---@return scenario.Error? err a `validation` error
function Client:get_asset_async(assetId, query, opts) end

---Uploads an image (base64) or a canvas as an asset. POST /assets.
---@param body? scenario.UploadAssetBody
---@param query? scenario.UploadAssetQuery
---@param opts? scenario.BodyCallOptions
---@return scenario.Asset|nil result
---@return scenario.Meta|scenario.Error meta_or_err
function Client:upload_asset(body, query, opts) end

---Uploads an image (base64) or a canvas as an asset, without blocking (POST /assets).
---@param body? scenario.UploadAssetBody
---@param query? scenario.UploadAssetQuery
---@param opts? scenario.AsyncBodyCallOptions
---@return scenario.Request|nil req
---@return scenario.Error? err a `validation` error
function Client:upload_asset_async(body, query, opts) end

---Waits for the training of a model to end (polling get_model), and returns the trained model.
---@param modelId string
---@param opts? scenario.WaitOptions
---@return scenario.Model|nil model
---@return scenario.Meta|scenario.Error meta_or_err kinds `training_failed`, `training_canceled`, `timeout`...
function Client:wait_for_training(modelId, opts) end

---Waits for the training of a model to end, without blocking.
---@param modelId string
---@param opts? scenario.WaitOptions
---@return scenario.Wait
function Client:wait_for_training_async(modelId, opts) end

---Waits for a job (a generation) to end (polling get_job), and returns the finished job.
---@param jobId string
---@param opts? scenario.JobWaitOptions
---@return scenario.Job|nil job
---@return scenario.Meta|scenario.Error meta_or_err kinds `job_failed`, `job_canceled`, `timeout`...
function Client:wait_for_job(jobId, opts) end

---Waits for a job to end, without blocking.
---@param jobId string
---@param opts? scenario.JobWaitOptions
---@return scenario.Wait
function Client:wait_for_job_async(jobId, opts) end

---Downloads an asset's file to path (or, without one, returns its bytes); no credential goes to its host.
---@param asset scenario.Asset|string an asset, an asset id or its URL
---@param path? string
---@param opts? scenario.DownloadOptions
---@return string|nil path_or_bytes
---@return scenario.DownloadMeta|scenario.Error meta_or_err kinds as a call's, and `file`
function Client:download_asset(asset, path, opts) end

---Downloads an asset's file, without blocking.
---@param asset scenario.Asset|string
---@param path? string
---@param opts? scenario.DownloadOptions
---@return scenario.Download
function Client:download_asset_async(asset, path, opts) end

---Downloads every file of a job (its `metadata.assetIds`) into dir, each named after its asset.
---@param job scenario.Job|string a job or its id
---@param dir string
---@param opts? scenario.JobDownloadOptions
---@return string[]|nil paths in the job's order
---@return table|scenario.Error meta_or_err `bytes` and `assets`; or the first failure, with `paths`
function Client:download_job_assets(job, dir, opts) end

---Calls an endpoint the table does not have yet: GET, PUT and DELETE are retried as idempotent;
---POST and PATCH are sent at most once.
---@param method "GET"|"POST"|"PUT"|"PATCH"|"DELETE"
---@param path string after base_url, from "/"
---@param opts? scenario.RequestOptions
---@return any document the decoded JSON (true for a 2xx without one)
---@return scenario.Meta|scenario.Error meta_or_err
function Client:request(method, path, opts) end

---`client:request` without blocking.
---@param method "GET"|"POST"|"PUT"|"PATCH"|"DELETE"
---@param path string
---@param opts? scenario.RequestOptions
---@return scenario.Request|nil req
---@return scenario.Error? err
function Client:request_async(method, path, opts) end

---Moves every request of this client forward without blocking: call it from the frame callback.
---@return integer unfinished
function Client:poll() end

---Releases the connections; safe to call twice (also `__close`).
function Client:close() end

-- ---- the module ----

---@class scenario
---@field _VERSION string
---@field null scenario.Null the JSON null sentinel
---@field enums table<string, (string|integer)[]> every enum, in the page's order
local scenario = {}

---Creates a client.
---@param opts? scenario.Options
---@return scenario.Client
function scenario.new(opts) end

---Marks a table as a JSON array, so that it is written [] when empty.
---@generic T: table
---@param t? T
---@return T
function scenario.array(t) end

---Whether v is an error value made by this library.
---@param v any
---@return boolean
function scenario.is_error(v) end

---A file as a data URL (for add_training_images).
---@param path string
---@param opts? {max_bytes?: integer}
---@return string|nil url
---@return scenario.Error? err
function scenario.data_url(path, opts) end

---An image file in bare base64 (for upload_asset's image), and its media type.
---@param path string
---@param opts? {max_bytes?: integer}
---@return string|nil base64
---@return string|scenario.Error mime_or_err
function scenario.image_base64(path, opts) end

---Runs fn as a task whose blocking calls yield instead of blocking; `scenario.step()` moves it.
---@param fn function
---@param ... any
---@return {done: boolean, ok?: boolean, error?: any, results?: {n: integer, [integer]: any}}
function scenario.spawn(fn, ...) end

---Moves every spawned task forward.
---@return integer running
function scenario.step() end

---Whether value is one of the enum's values.
---@param name string
---@param value any
---@return boolean
function scenario.in_enum(name, value) end

---Checks a call of `client:create_model` without sending anything.
---@param body? scenario.CreateModelBody
---@param query? scenario.ModelQuery
---@param opts? scenario.BodyCallOptions
---@return true|nil ok
---@return scenario.Error? err a `validation` error with every problem in `err.errors`
function scenario.validate_create_model(body, query, opts) end

---Checks a call of `client:get_model` without sending anything.
---@param modelId string a non-empty string, percent-encoded into the path
---@param query? scenario.ModelQuery
---@param opts? scenario.CallOptions
---@return true|nil ok
---@return scenario.Error? err a `validation` error with every problem in `err.errors`
function scenario.validate_get_model(modelId, query, opts) end

---Checks a call of `client:list_models` without sending anything.
---@param query? scenario.ListModelsQuery
---@param opts? scenario.CallOptions
---@return true|nil ok
---@return scenario.Error? err a `validation` error with every problem in `err.errors`
function scenario.validate_list_models(query, opts) end

---Checks a call of `client:update_model` without sending anything.
---@param modelId string a non-empty string, percent-encoded into the path
---@param body? scenario.UpdateModelBody
---@param query? scenario.ModelQuery
---@param opts? scenario.BodyCallOptions
---@return true|nil ok
---@return scenario.Error? err a `validation` error with every problem in `err.errors`
function scenario.validate_update_model(modelId, body, query, opts) end

---Checks a call of `client:delete_model` without sending anything.
---@param modelId string a non-empty string, percent-encoded into the path
---@param query? scenario.ProjectQuery
---@param opts? scenario.CallOptions
---@return true|nil ok
---@return scenario.Error? err a `validation` error with every problem in `err.errors`
function scenario.validate_delete_model(modelId, query, opts) end

---Checks a call of `client:train_model` without sending anything.
---@param modelId string a non-empty string, percent-encoded into the path
---@param body? scenario.TrainModelBody
---@param query? scenario.TrainModelQuery
---@param opts? scenario.BodyCallOptions
---@return true|nil ok
---@return scenario.Error? err a `validation` error with every problem in `err.errors`
function scenario.validate_train_model(modelId, body, query, opts) end

---Checks a call of `client:cancel_training` without sending anything.
---@param modelId string a non-empty string, percent-encoded into the path
---@param query? scenario.ModelQuery
---@param opts? scenario.CallOptions
---@return true|nil ok
---@return scenario.Error? err a `validation` error with every problem in `err.errors`
function scenario.validate_cancel_training(modelId, query, opts) end

---Checks a call of `client:add_training_images` without sending anything.
---@param modelId string a non-empty string, percent-encoded into the path
---@param body? scenario.AddTrainingImagesBody
---@param query? scenario.ModelQuery
---@param opts? scenario.BodyCallOptions
---@return true|nil ok
---@return scenario.Error? err a `validation` error with every problem in `err.errors`
function scenario.validate_add_training_images(modelId, body, query, opts) end

---Checks a call of `client:update_model_tags` without sending anything.
---@param modelId string a non-empty string, percent-encoded into the path
---@param body? scenario.UpdateModelTagsBody
---@param query? scenario.ProjectQuery
---@param opts? scenario.BodyCallOptions
---@return true|nil ok
---@return scenario.Error? err a `validation` error with every problem in `err.errors`
function scenario.validate_update_model_tags(modelId, body, query, opts) end

---Checks a call of `client:generate` without sending anything.
---@param modelId string a non-empty string, percent-encoded into the path
---@param body? table<string, any>
---@param query? scenario.GenerateCustomQuery
---@param opts? scenario.BodyCallOptions
---@return true|nil ok
---@return scenario.Error? err a `validation` error with every problem in `err.errors`
function scenario.validate_generate(modelId, body, query, opts) end

---Checks a call of `client:generate_txt2img` without sending anything.
---@param body? scenario.Txt2imgBody
---@param query? scenario.GenerateQuery
---@param opts? scenario.BodyCallOptions
---@return true|nil ok
---@return scenario.Error? err a `validation` error with every problem in `err.errors`
function scenario.validate_generate_txt2img(body, query, opts) end

---Checks a call of `client:generate_img2img` without sending anything.
---@param body? scenario.Img2imgBody
---@param query? scenario.GenerateQuery
---@param opts? scenario.BodyCallOptions
---@return true|nil ok
---@return scenario.Error? err a `validation` error with every problem in `err.errors`
function scenario.validate_generate_img2img(body, query, opts) end

---Checks a call of `client:get_job` without sending anything.
---@param jobId string a non-empty string, percent-encoded into the path
---@param query? scenario.ProjectQuery
---@param opts? scenario.CallOptions
---@return true|nil ok
---@return scenario.Error? err a `validation` error with every problem in `err.errors`
function scenario.validate_get_job(jobId, query, opts) end

---Checks a call of `client:list_jobs` without sending anything.
---@param query? scenario.ListJobsQuery
---@param opts? scenario.CallOptions
---@return true|nil ok
---@return scenario.Error? err a `validation` error with every problem in `err.errors`
function scenario.validate_list_jobs(query, opts) end

---Checks a call of `client:cancel_job` without sending anything.
---@param jobId string a non-empty string, percent-encoded into the path
---@param query? scenario.ProjectQuery
---@param opts? scenario.CallOptions
---@return true|nil ok
---@return scenario.Error? err a `validation` error with every problem in `err.errors`
function scenario.validate_cancel_job(jobId, query, opts) end

---Checks a call of `client:get_asset` without sending anything.
---@param assetId string a non-empty string, percent-encoded into the path
---@param query? scenario.GetAssetQuery
---@param opts? scenario.CallOptions
---@return true|nil ok
---@return scenario.Error? err a `validation` error with every problem in `err.errors`
function scenario.validate_get_asset(assetId, query, opts) end

---Checks a call of `client:upload_asset` without sending anything.
---@param body? scenario.UploadAssetBody
---@param query? scenario.UploadAssetQuery
---@param opts? scenario.BodyCallOptions
---@return true|nil ok
---@return scenario.Error? err a `validation` error with every problem in `err.errors`
function scenario.validate_upload_asset(body, query, opts) end

return scenario
