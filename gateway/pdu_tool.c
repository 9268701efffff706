/*
 * The packet tool (see pdu_tool.h). Decoding goes through mesh/monitor.c, so
 * the tool shows exactly what the stack's layers make of a PDU; encoding
 * composes the upper transport, lower transport and network layer codecs.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "mesh/addr.h"
#include "mesh/bytes.h"
#include "mesh/crypto.h"
#include "mesh/err.h"
#include "mesh/lower_transport.h"
#include "mesh/monitor.h"
#include "mesh/net.h"
#include "mesh/upper_transport.h"
#include "pdu_tool.h"

#define EXIT_PDU_FAILED 1
#define EXIT_USAGE 2
#define MAX_KEYS 8
#define MAX_PDUS 64

struct pdu_opts {
	uint8_t netkeys[MAX_KEYS][MESH_KEY_LEN];
	unsigned int netkey_count;
	uint8_t appkeys[MAX_KEYS][MESH_KEY_LEN];
	unsigned int appkey_count;
	uint8_t devkeys[MAX_KEYS][MESH_KEY_LEN];
	unsigned int devkey_count;
	uint8_t labels[MAX_KEYS][16];
	unsigned int label_count;
	uint32_t iv_index;
	bool have_iv_index;
	uint32_t seq;
	bool have_seq;
	uint16_t src, dst;
	bool have_src, have_dst;
	uint8_t ttl;
	bool have_ttl;
	bool szmic;
	bool segmented;
	const char *args[MAX_PDUS];   /* positional arguments */
	unsigned int arg_count;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: meshgate pdu decode [--netkey HEX]... [--appkey HEX]... [--devkey HEX]...\n"
		"                           [--label UUIDHEX]... [--iv-index N] PDU_HEX...\n"
		"       meshgate pdu encode --netkey HEX (--appkey HEX | --devkey HEX) --iv-index N\n"
		"                           --seq N --src A --dst A --ttl N [--label UUIDHEX]\n"
		"                           [--szmic] [--segmented] ACCESS_HEX\n"
		"       meshgate pdu demo\n"
		"\n"
		"decode prints one JSON object per network PDU; several PDUs are the segments\n"
		"of one message and are reassembled. Numbers are decimal or 0x-prefixed hex.\n");
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "meshgate pdu: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	usage(stderr);
	return EXIT_USAGE;
}

/* ---- argument parsing -------------------------------------------------- */

static int parse_number(const char *opt, const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!s || !*s || *s == '-' || *s == '+')
		return usage_error("%s: expected a number, got '%s'", opt, s ? s : "");
	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end)
		return usage_error("%s: expected a number, got '%s'", opt, s);
	if (v > max)
		return usage_error("%s: %s is larger than %lu", opt, s, max);
	*out = v;
	return 0;
}

static int parse_key(const char *opt, const char *s, uint8_t out[16], const char *what)
{
	if (!s || strlen(s) != 32 || mesh_hex_decode(s, out, 16) != 16)
		return usage_error("%s: expected %s of 32 hex digits, got '%s'", opt, what,
				   s ? s : "");
	return 0;
}

static int add_key(const char *opt, const char *s, uint8_t (*keys)[16], unsigned int *count,
		   const char *what)
{
	if (*count == MAX_KEYS)
		return usage_error("%s: at most 8 may be given (%s)", opt, s);
	if (parse_key(opt, s, keys[*count], what))
		return EXIT_USAGE;
	(*count)++;
	return 0;
}

/* Options that take a value; returns 0, EXIT_USAGE, or -1 if not one of them. */
static int parse_valued(struct pdu_opts *o, const char *opt, const char *v)
{
	unsigned long n;
	int rc;

	if (!strcmp(opt, "--netkey"))
		return add_key(opt, v, o->netkeys, &o->netkey_count, "a NetKey");
	if (!strcmp(opt, "--appkey"))
		return add_key(opt, v, o->appkeys, &o->appkey_count, "an AppKey");
	if (!strcmp(opt, "--devkey"))
		return add_key(opt, v, o->devkeys, &o->devkey_count, "a device key");
	if (!strcmp(opt, "--label"))
		return add_key(opt, v, o->labels, &o->label_count, "a Label UUID");
	if (!strcmp(opt, "--iv-index")) {
		rc = parse_number(opt, v, UINT32_MAX, &n);
		o->iv_index = (uint32_t)n;
		o->have_iv_index = !rc;
		return rc;
	}
	if (!strcmp(opt, "--seq")) {
		rc = parse_number(opt, v, MESH_SEQ_MAX, &n);
		o->seq = (uint32_t)n;
		o->have_seq = !rc;
		return rc;
	}
	if (!strcmp(opt, "--src")) {
		rc = parse_number(opt, v, 0xffff, &n);
		o->src = (uint16_t)n;
		o->have_src = !rc;
		return rc;
	}
	if (!strcmp(opt, "--dst")) {
		rc = parse_number(opt, v, 0xffff, &n);
		o->dst = (uint16_t)n;
		o->have_dst = !rc;
		return rc;
	}
	if (!strcmp(opt, "--ttl")) {
		rc = parse_number(opt, v, MESH_TTL_MAX, &n);
		o->ttl = (uint8_t)n;
		o->have_ttl = !rc;
		return rc;
	}
	return -1;
}

/* Options hold raw keys: wipe them before the memory goes back. */
static void free_opts(struct pdu_opts *o)
{
	if (o)
		OPENSSL_cleanse(o, sizeof(*o));
	free(o);
}

static int parse_args(int argc, char **argv, struct pdu_opts *o)
{
	memset(o, 0, sizeof(*o));
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		int rc;

		if (a[0] != '-' || a[1] == '\0') {
			if (o->arg_count == MAX_PDUS)
				return usage_error("%s: at most 64 PDUs at once, got more ('%s')",
						   "PDU_HEX", a);
			o->args[o->arg_count++] = a;
			continue;
		}
		if (!strcmp(a, "--szmic")) {
			o->szmic = true;
			continue;
		}
		if (!strcmp(a, "--segmented")) {
			o->segmented = true;
			continue;
		}
		if (i + 1 >= argc)
			rc = parse_valued(o, a, NULL);
		else
			rc = parse_valued(o, a, argv[i + 1]);
		if (rc < 0)
			return usage_error("%s: unknown option", a);
		if (rc)
			return rc;
		i++;
	}
	return 0;
}

/* ---- output ------------------------------------------------------------- */

static json_t *json_hex(const uint8_t *p, size_t len)
{
	char buf[2 * MESH_UPPER_MAX_PDU + 1];

	if (len > MESH_UPPER_MAX_PDU)
		len = MESH_UPPER_MAX_PDU;
	mesh_hex_encode(p, len, buf);
	return json_string(buf);
}

static void put_int(json_t *o, const char *key, json_int_t v)
{
	json_object_set_new(o, key, json_integer(v));
}

static void put_network(json_t *o, const struct mesh_monitor_result *r)
{
	const struct mesh_net_rx *n = &r->net;

	put_int(o, "ivi", n->ivi);
	put_int(o, "nid", n->nid);
	put_int(o, "ctl", n->ctl);
	put_int(o, "ttl", n->ttl);
	put_int(o, "seq", n->seq);
	put_int(o, "src", n->src);
	put_int(o, "dst", n->dst);
	put_int(o, "iv_index", n->iv_index);
	put_int(o, "netkey", r->netkey);
	json_object_set_new(o, "transport_pdu", json_hex(n->transport, n->transport_len));
}

static void put_lower(json_t *o, const struct mesh_lt_pdu *lt)
{
	json_object_set_new(o, "seg", json_boolean(lt->seg));
	if (lt->ctl) {
		if (!lt->seg && lt->opcode == MESH_CTL_SEG_ACK) {
			json_object_set_new(o, "obo", json_boolean(lt->obo));
			put_int(o, "seq_zero", lt->seq_zero);
			put_int(o, "block_ack", lt->block_ack);
			return;
		}
	} else {
		put_int(o, "akf", lt->akf);
		put_int(o, "aid", lt->aid);
	}
	if (lt->seg) {
		if (!lt->ctl)
			put_int(o, "szmic", lt->szmic);
		put_int(o, "seq_zero", lt->seq_zero);
		put_int(o, "seg_o", lt->seg_o);
		put_int(o, "seg_n", lt->seg_n);
	}
}

static void put_key(json_t *o, const struct mesh_upper_key_info *key)
{
	char buf[32];

	if (key->dev)
		snprintf(buf, sizeof(buf), "dev");
	else
		snprintf(buf, sizeof(buf), "app:%u", key->app_idx);
	json_object_set_new(o, "key", json_string(buf));
	if (key->has_label)
		json_object_set_new(o, "label", json_hex(key->label_uuid, 16));
}

static void put_upper(json_t *o, const struct mesh_monitor_result *r)
{
	if (r->msg.ctl) {
		put_int(o, "control_opcode", r->msg.opcode);
		json_object_set_new(o, "control", json_string(mesh_upper_ctl_name(r->msg.opcode)));
		json_object_set_new(o, "params", json_hex(r->msg.pdu, r->msg.len));
		return;
	}
	if (!r->decrypted)
		return;
	put_key(o, &r->key);
	if (r->opcode_ok) {
		json_object_set_new(o, "opcode", json_hex(r->payload, r->access.opcode_len));
		json_object_set_new(o, "params",
				    json_hex(r->access.params, r->access.params_len));
	} else {
		json_object_set_new(o, "access_payload", json_hex(r->payload, r->payload_len));
	}
}

static const char *layer_name(enum mesh_monitor_layer layer)
{
	switch (layer) {
	case MESH_MONITOR_NETWORK: return "network";
	case MESH_MONITOR_LOWER_TRANSPORT: return "lower transport";
	case MESH_MONITOR_UPPER_TRANSPORT: return "upper transport";
	case MESH_MONITOR_ACCESS: return "access";
	}
	return "unknown";
}

static void print_json_line(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);

	if (s) {
		puts(s);
		free(s);
	}
}

static json_t *describe(const char *hex, const struct mesh_monitor_result *r)
{
	json_t *o = json_object();

	json_object_set_new(o, "pdu", json_string(hex));
	if (r->net_ok)
		put_network(o, r);
	if (r->lt_ok)
		put_lower(o, &r->lt);
	if (r->complete) {
		json_object_set_new(o, "complete", json_true());
		json_object_set_new(o, "upper_transport_pdu", json_hex(r->msg.pdu, r->msg.len));
		put_upper(o, r);
	}
	if (r->err) {
		json_object_set_new(o, "error", json_string(mesh_strerror(r->err)));
		json_object_set_new(o, "layer", json_string(layer_name(r->err_layer)));
	}
	return o;
}

/* ---- decode ------------------------------------------------------------- */

static int load_monitor(struct mesh_monitor *m, const struct pdu_opts *o)
{
	int err = mesh_monitor_init(m, o->iv_index);

	for (unsigned int i = 0; !err && i < o->netkey_count; i++)
		err = mesh_monitor_add_netkey(m, o->netkeys[i]);
	for (unsigned int i = 0; !err && i < o->appkey_count; i++)
		err = mesh_monitor_add_appkey(m, o->appkeys[i]);
	for (unsigned int i = 0; !err && i < o->devkey_count; i++)
		err = mesh_monitor_add_devkey(m, o->devkeys[i]);
	for (unsigned int i = 0; !err && i < o->label_count; i++)
		err = mesh_monitor_add_label(m, o->labels[i]);
	return err;
}

static int decode_one(struct mesh_monitor *m, const char *hex)
{
	uint8_t pdu[MESH_NET_MAX_PDU];
	struct mesh_monitor_result *r;
	json_t *o;
	int n, failed = 0;

	n = mesh_hex_decode(hex, pdu, sizeof(pdu));
	if (n < 0) {
		o = json_object();
		json_object_set_new(o, "pdu", json_string(hex));
		json_object_set_new(o, "error", json_string(n == MESH_ERR_OVERSIZED ?
			"pdu too long" : "not a hex string of whole octets"));
		print_json_line(o);
		json_decref(o);
		return 1;
	}
	r = malloc(sizeof(*r));
	if (!r)
		return 1;
	failed = mesh_monitor_decode(m, pdu, (size_t)n, r) != 0;
	o = describe(hex, r);
	print_json_line(o);
	json_decref(o);
	free(r);
	return failed;
}

static int cmd_decode(const struct pdu_opts *o)
{
	struct mesh_monitor *m;
	int failures = 0, err;

	if (o->arg_count == 0)
		return usage_error("decode: no PDU given");
	if (o->netkey_count == 0)
		return usage_error("decode: at least one --netkey is needed");
	m = malloc(sizeof(*m));
	if (!m)
		return EXIT_PDU_FAILED;
	err = load_monitor(m, o);
	if (err) {
		fprintf(stderr, "meshgate pdu: cannot load keys: %s\n", mesh_strerror(err));
		failures = 1;
	}
	for (unsigned int i = 0; !err && i < o->arg_count; i++)
		failures += decode_one(m, o->args[i]);
	mesh_monitor_cleanup(m);
	OPENSSL_cleanse(m, sizeof(*m));
	free(m);
	return failures ? EXIT_PDU_FAILED : 0;
}

/* ---- encode ------------------------------------------------------------- */

struct encoder {
	struct mesh_net_cred cred;
	struct mesh_app_keys app;
	struct mesh_dev_keys dev;
	struct mesh_va_table va;
	struct mesh_upper_keyring kr;
};

static int encoder_init(struct encoder *e, const struct pdu_opts *o)
{
	static const uint8_t master_p[] = { 0x00 };
	int err;

	memset(e, 0, sizeof(*e));
	mesh_app_keys_init(&e->app);
	mesh_dev_keys_init(&e->dev);
	mesh_va_init(&e->va);
	e->kr = (struct mesh_upper_keyring){ &e->app, &e->dev, &e->va };
	err = mesh_net_cred_derive(&e->cred, o->netkeys[0], master_p, sizeof(master_p));
	if (!err && o->appkey_count)
		err = mesh_app_keys_add(&e->app, 0, 0, o->appkeys[0]);
	if (!err && o->devkey_count)
		err = mesh_dev_keys_add(&e->dev, MESH_ADDR_UNASSIGNED, 0, o->devkeys[0]);
	if (!err && o->label_count)
		err = mesh_va_add(&e->va, o->labels[0], NULL);
	return err;
}

static void encoder_cleanup(struct encoder *e)
{
	mesh_net_cred_clear(&e->cred);
	mesh_app_keys_clear(&e->app);
	mesh_dev_keys_clear(&e->dev);
}

static int emit_network_pdu(struct encoder *e, const struct pdu_opts *o, uint32_t seq,
			    const uint8_t *lt, size_t lt_len, FILE *out)
{
	struct mesh_net_tx tx = {
		.ctl = 0, .ttl = o->ttl, .seq = seq, .src = o->src, .dst = o->dst,
		.transport = lt, .transport_len = lt_len,
	};
	uint8_t pdu[MESH_NET_MAX_PDU];
	char hex[2 * MESH_NET_MAX_PDU + 1];
	size_t len;
	int err = mesh_net_pdu_encode(&e->cred, o->iv_index, &tx, pdu, &len);

	if (err)
		return err;
	mesh_hex_encode(pdu, len, hex);
	fprintf(out, "%s\n", hex);
	return 0;
}

static int emit_lower_pdus(struct encoder *e, const struct pdu_opts *o,
			   const struct mesh_transport_msg *msg, FILE *out)
{
	uint8_t lt[MESH_LT_MAX_PDU];
	int n, err;

	if (!msg->segmented) {
		struct mesh_lt_pdu p = {
			.akf = msg->akf, .aid = msg->aid,
			.payload = msg->pdu, .payload_len = msg->len,
		};

		n = mesh_lt_encode(&p, lt, sizeof(lt));
		return n < 0 ? n : emit_network_pdu(e, o, msg->seq, lt, (size_t)n, out);
	}
	/* Each segment goes out with its own SEQ, the first one's is SeqAuth. */
	for (unsigned int seg = 0; seg < mesh_lt_seg_count(false, msg->len); seg++) {
		if (msg->seq + seg > MESH_SEQ_MAX)
			return MESH_ERR_SEQ_EXHAUSTED;
		n = mesh_lt_build_segment(msg, seg, lt, sizeof(lt));
		if (n < 0)
			return n;
		err = emit_network_pdu(e, o, msg->seq + seg, lt, (size_t)n, out);
		if (err)
			return err;
	}
	return 0;
}

static int check_encode_args(const struct pdu_opts *o)
{
	if (o->netkey_count != 1)
		return usage_error("encode: exactly one --netkey is needed");
	if (o->appkey_count + o->devkey_count != 1)
		return usage_error("encode: give exactly one of --appkey or --devkey");
	if (o->label_count > 1)
		return usage_error("encode: at most one --label");
	if (!o->have_iv_index)
		return usage_error("encode: --iv-index is required");
	if (!o->have_seq)
		return usage_error("encode: --seq is required");
	if (!o->have_src)
		return usage_error("encode: --src is required");
	if (!o->have_dst)
		return usage_error("encode: --dst is required");
	if (!o->have_ttl)
		return usage_error("encode: --ttl is required");
	if (!mesh_addr_is_unicast(o->src))
		return usage_error("--src: the source must be a unicast address (0x0001-0x7fff)");
	if (mesh_addr_is_unassigned(o->dst))
		return usage_error("--dst: the destination cannot be the unassigned address");
	if (mesh_addr_is_virtual(o->dst) != (o->label_count == 1))
		return usage_error("--label: a virtual destination needs exactly one --label, "
				   "and --label needs a virtual destination");
	if (o->arg_count != 1)
		return usage_error("ACCESS_HEX: exactly one access payload is needed");
	return 0;
}

static int cmd_encode(const struct pdu_opts *o, FILE *out)
{
	uint8_t payload[MESH_UPPER_MAX_PDU], upper[MESH_UPPER_MAX_PDU];
	struct mesh_transport_msg msg = { 0 };
	struct mesh_upper_tx tx = { 0 };
	struct encoder *e;
	int n, err;

	if (check_encode_args(o))
		return EXIT_USAGE;
	n = mesh_hex_decode(o->args[0], payload, sizeof(payload));
	if (n <= 0)
		return usage_error("%s: expected 1 to 384 octets of hex, got '%s'",
				   "ACCESS_HEX", o->args[0]);
	e = malloc(sizeof(*e));
	if (!e)
		return EXIT_PDU_FAILED;
	err = encoder_init(e, o);
	msg = (struct mesh_transport_msg){
		.iv_index = o->iv_index, .src = o->src, .dst = o->dst, .ttl = o->ttl,
		.seq = o->seq, .segmented = o->segmented, .szmic = o->szmic,
	};
	tx = (struct mesh_upper_tx){
		.payload = payload, .len = (size_t)n,
		.key = { .dev = o->devkey_count == 1, .app_idx = 0, .dev_addr = o->dst },
		.label_uuid = o->label_count ? o->labels[0] : NULL,
	};
	if (!err)
		err = mesh_upper_encrypt(&e->kr, &tx, &msg, upper, sizeof(upper));
	if (!err)
		err = emit_lower_pdus(e, o, &msg, out);
	if (err)
		fprintf(stderr, "meshgate pdu: cannot encode: %s\n", mesh_strerror(err));
	encoder_cleanup(e);
	OPENSSL_cleanse(e, sizeof(*e));
	free(e);
	return err ? EXIT_PDU_FAILED : 0;
}

/* ---- demo --------------------------------------------------------------- */

/*
 * A self-contained walk through both commands with keys derived from
 * readable phrases (never use them in a real network): a Generic OnOff Set
 * to a group, and a longer vendor message that needs segmentation.
 */
static int demo_key(const char *phrase, char hex[33])
{
	uint8_t key[16];
	int err = mesh_s1_str(phrase, key);

	mesh_hex_encode(key, 16, hex);
	OPENSSL_cleanse(key, sizeof(key));
	return err;
}

static int run_tool(int argc, char **argv);

/* Print a command line the way a user would type it. */
static void echo_command(char **argv, int argc)
{
	printf("$ meshgate pdu");
	for (int i = 0; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\n");
}

/* Encode with encode_argv, then decode what came out with decode_prefix. */
static int demo_round(const char *title, char **encode_argv, int encode_argc,
		      char **decode_prefix, int prefix_argc)
{
	char lines[8][2 * MESH_NET_MAX_PDU + 2];
	struct pdu_opts *o = malloc(sizeof(*o));
	char *argv[64];
	int count = 0, argc = 0, rc;
	FILE *tmp = tmpfile();

	printf("# %s\n", title);
	echo_command(encode_argv, encode_argc);
	rc = !o || !tmp ? EXIT_PDU_FAILED : parse_args(encode_argc - 1, encode_argv + 1, o);
	if (!rc)
		rc = cmd_encode(o, tmp);
	if (tmp) {
		rewind(tmp);
		while (count < 8 && fgets(lines[count], sizeof(lines[count]), tmp)) {
			lines[count][strcspn(lines[count], "\n")] = '\0';
			printf("%s\n", lines[count]);
			count++;
		}
		fclose(tmp);
	}
	free_opts(o);
	if (rc)
		return rc;

	for (int i = 0; i < prefix_argc; i++)
		argv[argc++] = decode_prefix[i];
	for (int i = 0; i < count; i++)
		argv[argc++] = lines[i];
	echo_command(argv, argc);
	fflush(stdout);
	rc = run_tool(argc, argv);
	printf("\n");
	return rc;
}

static int cmd_demo(void)
{
	char netkey[33], appkey[33];
	int rc;

	if (demo_key("meshgate demo netkey", netkey) || demo_key("meshgate demo appkey", appkey))
		return EXIT_PDU_FAILED;
	{
		char *enc[] = { "encode", "--netkey", netkey, "--appkey", appkey,
				"--iv-index", "0", "--seq", "7", "--src", "0x0001",
				"--dst", "0xc001", "--ttl", "5", "82020103" };
		char *dec[] = { "decode", "--netkey", netkey, "--appkey", appkey,
				"--iv-index", "0" };

		rc = demo_round("Generic OnOff Set (on, TID 3) to group 0xc001",
				enc, 16, dec, 7);
	}
	if (rc)
		return rc;
	{
		char *enc[] = { "encode", "--netkey", netkey, "--appkey", appkey,
				"--iv-index", "0", "--seq", "8", "--src", "0x0001",
				"--dst", "0x0002", "--ttl", "5",
				"d50a006d65736867617465206465636f6465732074686973" };
		char *dec[] = { "decode", "--netkey", netkey, "--appkey", appkey,
				"--iv-index", "0" };

		rc = demo_round("A 24-octet vendor message, segmented and reassembled",
				enc, 16, dec, 7);
	}
	return rc;
}

/* ---- entry -------------------------------------------------------------- */

static int run_tool(int argc, char **argv)
{
	struct pdu_opts *o;
	int rc;

	if (argc < 1)
		return usage_error("missing command (decode, encode or demo)");
	if (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h") || !strcmp(argv[0], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[0], "demo"))
		return cmd_demo();
	if (strcmp(argv[0], "decode") && strcmp(argv[0], "encode"))
		return usage_error("unknown command '%s'", argv[0]);
	o = malloc(sizeof(*o));
	if (!o)
		return EXIT_PDU_FAILED;
	rc = parse_args(argc - 1, argv + 1, o);
	if (!rc)
		rc = argv[0][0] == 'd' ? cmd_decode(o) : cmd_encode(o, stdout);
	free_opts(o);
	return rc;
}

int pdu_tool_main(int argc, char **argv)
{
	return run_tool(argc - 1, argv + 1);
}
