/* sithsd/client.h compiled as C11 (-Wall -Wextra -Wpedantic): the header is C, and its C names
 * are usable from C. Called by api_test. */
#include <sithsd/client.h>
#include <string.h>

int c_header_compiles_as_c(void) {
    sithsd_client *client = NULL;
    sithsd_error *error = NULL;
    sithsd_status status = sithsd_connect("/nonexistent/sithsd.sock", 100, &client, &error);
    int failures = 0;
    if (status != SITHSD_E_NOT_RUNNING || client != NULL || error == NULL) ++failures;
    if (strcmp(sithsd_error_reason(error), "NOT_RUNNING") != 0) ++failures;
    sithsd_free(error);
    return failures;
}
