#ifndef FLIMMER_CHIREDIS_SHIM_H
#define FLIMMER_CHIREDIS_SHIM_H
#include <hiredis/hiredis.h>
#include <hiredis/read.h>
#endif
