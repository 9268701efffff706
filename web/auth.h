/*
 * The dashboard password: how it is chosen, stored and checked.
 *
 * The password is web.password from the configuration or, when none is
 * set, one meshgate generates at its first start, prints once, and keeps
 * only as a hash in <data_dir>/web_auth.json (mode 0600, replaced
 * atomically). Either way a login attempt is checked the same way: the
 * attempt is hashed with PBKDF2-HMAC-SHA256 (the salt and iteration count
 * stored with the hash) and the result compared in constant time, so
 * neither the file nor the timing of an answer gives the password away.
 *
 * PBKDF2 at a safe iteration count takes a good fraction of a second on
 * small hardware: web_auth_verify() is thread-safe and the server runs it
 * on libuv's thread pool, never on the loop.
 *
 * A web_auth.json that does not load is an error, never silently replaced:
 * replacing it would lock the user out with a password nobody saw. The
 * message says what to do (delete the file for a new password).
 */
#ifndef WEB_AUTH_H
#define WEB_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WEB_AUTH_FILE "web_auth.json"
/* OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256. */
#define WEB_AUTH_ITERATIONS 600000u
/* What a stored file may ask for: tests store cheap hashes, and an
 * absurd count would turn every login into a denial of service. */
#define WEB_AUTH_ITERATIONS_MIN 1000u
#define WEB_AUTH_ITERATIONS_MAX 10000000u
#define WEB_AUTH_SALT_LEN 16
#define WEB_AUTH_HASH_LEN 32
/* Generated passwords: 16 characters of 56 is ~93 bits. */
#define WEB_AUTH_GENERATED_LEN 16
/* Longest password looked at (longer attempts are simply wrong). */
#define WEB_AUTH_PASSWORD_MAX 256

struct web_auth_secret {
	uint8_t salt[WEB_AUTH_SALT_LEN];
	uint32_t iterations;
	uint8_t hash[WEB_AUTH_HASH_LEN];
};

/* PBKDF2-HMAC-SHA256 of password. 0 or MESH_ERR_CRYPTO. */
int web_auth_hash(const char *password, size_t len, const uint8_t salt[WEB_AUTH_SALT_LEN],
		  uint32_t iterations, uint8_t out[WEB_AUTH_HASH_LEN]);

/* Does password match? Constant time in the comparison; thread-safe. */
bool web_auth_verify(const struct web_auth_secret *s, const char *password, size_t len);

/* A secret for password with a fresh random salt. 0 or MESH_ERR_CRYPTO. */
int web_auth_secret_make(struct web_auth_secret *s, const char *password, size_t len,
			 uint32_t iterations);

/* A random password of WEB_AUTH_GENERATED_LEN characters from an alphabet
 * without look-alikes (no 0/O, 1/l/I); out holds at least
 * WEB_AUTH_GENERATED_LEN + 1 octets. 0 or MESH_ERR_CRYPTO. */
int web_auth_generate(char *out);

/*
 * The file: load it (-ENOENT when there is none; MESH_ERR_MALFORMED, or a
 * negative errno, with err naming the file, the problem and what to do),
 * save it (mode 0600, atomically; negative errno with err).
 */
int web_auth_load(struct web_auth_secret *s, const char *path, char *err, size_t errlen);
int web_auth_save(const struct web_auth_secret *s, const char *path, char *err, size_t errlen);

/*
 * The secret the server checks logins against: config_password when it is
 * not empty (web_auth.json is then neither read nor written; hashed with
 * WEB_AUTH_ITERATIONS_MIN, as that hash is never stored), else the file in
 * data_dir, else a new password generated, saved hashed with iterations
 * and copied to generated (WEB_AUTH_GENERATED_LEN + 1 octets; "" otherwise)
 * for the caller to show once.
 */
int web_auth_setup(struct web_auth_secret *s, const char *config_password, const char *data_dir,
		   uint32_t iterations, char *generated, char *err, size_t errlen);

#endif
