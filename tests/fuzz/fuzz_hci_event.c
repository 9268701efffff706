/*
 * libFuzzer target: arbitrary bytes as an HCI event from the controller.
 * hci_evt_parse splits it; an LE Advertising Report subevent is walked
 * with hci_adv_reports_foreach and each report's data with
 * mesh_ad_foreach, the path every received advertisement takes. Whatever
 * passes must also hold up to the invariants checked below.
 */
#include <stdlib.h>
#include <string.h>

#include "mesh/bearer/bearer.h"
#include "mesh/bearer/hci_codec.h"

/* Touch every octet the walkers hand out, so a wrong pointer or length
 * shows up under AddressSanitizer. */
static unsigned int sink;

static void on_ad(void *ctx, uint8_t type, const uint8_t *data, size_t len)
{
	(void)ctx;
	sink += type;
	for (size_t i = 0; i < len; i++)
		sink += data[i];
}

static void on_report(void *ctx, const struct hci_adv_report *r)
{
	uint8_t rebuilt[HCI_MAX_EVT_LEN];
	int *reports = ctx;

	if (r->data_len > 31)
		abort();
	(*reports)++;
	mesh_ad_foreach(r->data, r->data_len, on_ad, NULL);
	/* A report that parsed must build back into a one-report event. */
	if (hci_evt_adv_report(rebuilt, r) < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hci_evt e;
	int n, reports = 0;

	if (hci_evt_parse(data, size, &e) != 0)
		return 0;
	if ((size_t)e.plen + HCI_EVT_HDR_LEN != size)
		abort();
	if (e.code != HCI_EVT_LE_META || e.le_meta.subevent != HCI_LE_SUBEVT_ADV_REPORT)
		return 0;
	n = hci_adv_reports_foreach(e.le_meta.params, e.le_meta.len, on_report, &reports);
	/* all reports or none reach the callback */
	if (n < 0 ? reports != 0 : reports != n)
		abort();
	return 0;
}
