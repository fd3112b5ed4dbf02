/* The client side of the Open Inference Protocol v2, for models that another process serves on
 * a loopback port (a managed custom model server, core/model_servers.h): its readiness, and one
 * inference, with the runtimes' JSON shapes (ml/runtime.h) on this side. libcurl, with time
 * limits; no server here.
 *
 * An input {"text":"..."} is sent as the BYTES tensor "text", {"image_bytes_b64":"..."} as the
 * BYTES tensor "image" (the base64 text), both of shape [1]. An answer whose outputs hold
 * "labels" (BYTES, n) and "scores" (FP32/FP64, n) comes back as the runtimes' {"label",
 * "scores"} (label: the highest score); one with only "label" (BYTES, 1) as {"label"}; any other
 * as {"outputs":[...]}, its tensors as they came. */
#ifndef CROWDLOOP_ML_OIP_REMOTE_H
#define CROWDLOOP_ML_OIP_REMOTE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

/* An answer's most bytes. */
#define OIP_REMOTE_MAX_ANSWER (16u << 20)

/* Readies libcurl; call once from the main thread before any other thread uses it. */
int oip_remote_global_init(void);
/* Undoes it, once no thread uses libcurl. */
void oip_remote_global_cleanup(void);

/* Whether GET http://127.0.0.1:port/v2/health/ready answers 200 within timeout_ms. */
bool oip_remote_ready(int port, int64_t timeout_ms);

/* POSTs `input` (borrowed) to http://127.0.0.1:port/v2/models/<model>/infer and maps the answer
 * into *out (new). CL_EINVAL for an input of no known shape; CL_EUNAVAIL "model_server_error"
 * when the server cannot be reached, times out, answers an error or what is not the protocol. */
int oip_remote_infer(int port, const char *model, const json_t *input, int64_t timeout_ms,
		     json_t **out, cl_error *err);

/* The inference request for `input` (new), or NULL for an input of no known shape. */
json_t *oip_remote_request(const json_t *input);
/* The runtimes' shape of an inference answer (borrowed): new, or NULL when it has no
 * "outputs" array. */
json_t *oip_remote_output(const json_t *answer);

#endif
