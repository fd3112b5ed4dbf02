/* `crowdloop permissions`: prints docs/PERMISSIONS.md, every route × role, as the route table
 * declares it (api/authorize.c). Not listed in the usage: it is for keeping the document true. */
#include "api/api.h"
#include "cli/cmd.h"

#include <stdio.h>
#include <string.h>

int cmd_permissions(int argc, char **argv)
{
	if (argc > 1) {
		bool help = !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h");
		fprintf(
		    help ? stdout : stderr,
		    "usage: crowdloop permissions > docs/PERMISSIONS.md\n\nPrints every route's "
		    "declared access and each role's answer, as markdown.\n");
		return help ? 0 : 2;
	}
	buf out;
	buf_init(&out, 0);
	api_permissions_markdown(&out);
	int rc = fwrite(out.data, 1, out.len, stdout) == out.len ? 0 : 1;
	buf_release(&out);
	return rc;
}
