/* status.c -- names and messages for enum hu_status, from the one table. */
#include "huella/hu_status.h"

const char *hu_status_name(int status)
{
    switch (status) {
#define HU__STATUS_NAME(name, code, str) case code: return #name;
    HU_STATUS_MAP(HU__STATUS_NAME)
#undef HU__STATUS_NAME
    }
    return "UNKNOWN";
}

const char *hu_status_str(int status)
{
    switch (status) {
#define HU__STATUS_STR(name, code, str) case code: return str;
    HU_STATUS_MAP(HU__STATUS_STR)
#undef HU__STATUS_STR
    }
    return "unknown status";
}
