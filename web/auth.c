/*
 * The dashboard password (auth.h): PBKDF2 hashes, the web_auth.json file
 * and generated passwords.
 */
#include "auth.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "gateway/store.h"
#include "mesh/bytes.h"
#include "mesh/err.h"

#define AUTH_FILE_VERSION 1
#define AUTH_KDF_NAME "pbkdf2-hmac-sha256"
/* The file is a few hundred octets; anything much larger is not ours. */
#define AUTH_FILE_MAX 4096
#define AUTH_FIX_HINT "delete it to have meshgate generate a new dashboard password at the " \
		      "next start, or set web.password in the configuration"

/* No 0/O/o, 1/l/I: the password is read off a terminal and typed in. */
static const char alphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

int web_auth_hash(const char *password, size_t len, const uint8_t salt[WEB_AUTH_SALT_LEN],
		  uint32_t iterations, uint8_t out[WEB_AUTH_HASH_LEN])
{
	if (len > INT_MAX || iterations == 0 || iterations > INT_MAX)
		return MESH_ERR_INVAL;
	if (PKCS5_PBKDF2_HMAC(password, (int)len, salt, WEB_AUTH_SALT_LEN, (int)iterations,
			      EVP_sha256(), WEB_AUTH_HASH_LEN, out) != 1)
		return MESH_ERR_CRYPTO;
	return 0;
}

bool web_auth_verify(const struct web_auth_secret *s, const char *password, size_t len)
{
	uint8_t hash[WEB_AUTH_HASH_LEN];
	bool ok;

	/* Hashed all the same, so a too-long attempt takes as long as any. */
	if (web_auth_hash(password, len > WEB_AUTH_PASSWORD_MAX ? 0 : len, s->salt, s->iterations,
			  hash) < 0)
		return false;
	ok = CRYPTO_memcmp(hash, s->hash, sizeof(hash)) == 0 && len <= WEB_AUTH_PASSWORD_MAX;
	OPENSSL_cleanse(hash, sizeof(hash));
	return ok;
}

int web_auth_secret_make(struct web_auth_secret *s, const char *password, size_t len,
			 uint32_t iterations)
{
	if (RAND_bytes(s->salt, sizeof(s->salt)) != 1)
		return MESH_ERR_CRYPTO;
	s->iterations = iterations;
	return web_auth_hash(password, len, s->salt, iterations, s->hash);
}

int web_auth_generate(char *out)
{
	const size_t n = sizeof(alphabet) - 1;
	/* Octets at or above this would favour the first letters. */
	const unsigned int limit = 256 - 256 % n;
	size_t have = 0;

	while (have < WEB_AUTH_GENERATED_LEN) {
		uint8_t r[32];

		if (RAND_bytes(r, sizeof(r)) != 1)
			return MESH_ERR_CRYPTO;
		for (size_t i = 0; i < sizeof(r) && have < WEB_AUTH_GENERATED_LEN; i++)
			if (r[i] < limit)
				out[have++] = alphabet[r[i] % n];
		OPENSSL_cleanse(r, sizeof(r));
	}
	out[have] = '\0';
	return 0;
}

/* ---- the file -------------------------------------------------------------------- */

static int auth_damaged(const char *path, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: %s; " AUTH_FIX_HINT, path, what);
	return MESH_ERR_MALFORMED;
}

/* hex of exactly len octets into out. */
static bool auth_hex_field(const json_t *root, const char *key, uint8_t *out, size_t len)
{
	const char *hex = json_string_value(json_object_get(root, key));

	return hex && strlen(hex) == 2 * len && mesh_hex_decode(hex, out, len) == (int)len;
}

static int auth_parse(struct web_auth_secret *s, const json_t *root, const char *path, char *err,
		      size_t errlen)
{
	const json_t *iter = json_object_get(root, "iterations");
	const char *kdf = json_string_value(json_object_get(root, "kdf"));
	json_int_t n;

	if (!json_is_object(root))
		return auth_damaged(path, "not a JSON object", err, errlen);
	if (json_integer_value(json_object_get(root, "version")) != AUTH_FILE_VERSION)
		return auth_damaged(path, "unknown version (expected 1)", err, errlen);
	if (!kdf || strcmp(kdf, AUTH_KDF_NAME) != 0)
		return auth_damaged(path, "kdf is not \"" AUTH_KDF_NAME "\"", err, errlen);
	n = json_integer_value(iter);
	if (!json_is_integer(iter) || n < WEB_AUTH_ITERATIONS_MIN || n > WEB_AUTH_ITERATIONS_MAX)
		return auth_damaged(path, "iterations missing or out of range", err, errlen);
	s->iterations = (uint32_t)n;
	if (!auth_hex_field(root, "salt", s->salt, sizeof(s->salt)))
		return auth_damaged(path, "salt is not 32 hex digits", err, errlen);
	if (!auth_hex_field(root, "hash", s->hash, sizeof(s->hash)))
		return auth_damaged(path, "hash is not 64 hex digits", err, errlen);
	return 0;
}

int web_auth_load(struct web_auth_secret *s, const char *path, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root;
	char *text;
	size_t len;
	int rc;

	rc = store_read(path, AUTH_FILE_MAX, &text, &len, err, errlen);
	if (rc == -ENOENT)
		return rc;
	if (rc == -EFBIG)
		return auth_damaged(path, "too large to be a password file", err, errlen);
	if (rc < 0) {
		size_t used = strlen(err);

		snprintf(err + used, errlen - used,
			 "; meshgate needs to read it, or " AUTH_FIX_HINT);
		return rc;
	}
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	OPENSSL_cleanse(text, len);
	free(text);
	if (!root) {
		char what[200];

		snprintf(what, sizeof(what), "not valid JSON (line %d: %s)", jerr.line, jerr.text);
		return auth_damaged(path, what, err, errlen);
	}
	rc = auth_parse(s, root, path, err, errlen);
	json_decref(root);
	return rc;
}

int web_auth_save(const struct web_auth_secret *s, const char *path, char *err, size_t errlen)
{
	char salt[2 * WEB_AUTH_SALT_LEN + 1], hash[2 * WEB_AUTH_HASH_LEN + 1], created[32];
	time_t now = time(NULL);
	struct tm tm;
	json_t *root;
	char *text;
	int rc;

	mesh_hex_encode(s->salt, sizeof(s->salt), salt);
	mesh_hex_encode(s->hash, sizeof(s->hash), hash);
	if (!gmtime_r(&now, &tm) || !strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm))
		created[0] = '\0';
	root = json_pack("{s:i, s:s, s:I, s:s, s:s, s:s}", "version", AUTH_FILE_VERSION,
			 "kdf", AUTH_KDF_NAME, "iterations", (json_int_t)s->iterations,
			 "salt", salt, "hash", hash, "created", created);
	text = root ? json_dumps(root, JSON_INDENT(2)) : NULL;
	json_decref(root);
	if (!text) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	rc = store_write(path, text, strlen(text), 0600, false, err, errlen);
	free(text);
	return rc;
}

int web_auth_setup(struct web_auth_secret *s, const char *config_password, const char *data_dir,
		   uint32_t iterations, char *generated, char *err, size_t errlen)
{
	char path[4200];
	int rc;

	generated[0] = '\0';
	if (config_password && config_password[0]) {
		/* This hash is never stored (the password itself is in the
		 * configuration): it only makes the check the same constant-time
		 * one, so it need not be slow, and start-up is not. */
		rc = web_auth_secret_make(s, config_password, strlen(config_password),
					  WEB_AUTH_ITERATIONS_MIN);
		if (rc < 0)
			snprintf(err, errlen, "web.password: cannot hash it: %s",
				 mesh_strerror(rc));
		return rc;
	}
	if (!data_dir || !data_dir[0]) {
		snprintf(err, errlen,
			 "no data directory to keep the generated dashboard password in");
		return MESH_ERR_INVAL;
	}
	snprintf(path, sizeof(path), "%s/%s", data_dir, WEB_AUTH_FILE);
	rc = web_auth_load(s, path, err, errlen);
	if (rc != -ENOENT)
		return rc;
	rc = web_auth_generate(generated);
	if (rc == 0)
		rc = web_auth_secret_make(s, generated, strlen(generated), iterations);
	if (rc < 0) {
		OPENSSL_cleanse(generated, WEB_AUTH_GENERATED_LEN + 1);
		snprintf(err, errlen, "cannot generate a dashboard password: %s",
			 mesh_strerror(rc));
		return rc;
	}
	rc = web_auth_save(s, path, err, errlen);
	if (rc < 0)
		OPENSSL_cleanse(generated, WEB_AUTH_GENERATED_LEN + 1);
	return rc;
}
