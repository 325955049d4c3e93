// HZ3_LIST_FAILFAST: validation of a list handed across a box boundary.
//
// A list (head, tail, n) passes when walking exactly n nodes from head ends
// at tail, tail->next is null, and every node is the start of a carved object
// of our segments with the stated owner shard and size class. Walking exactly
// n nodes with those end conditions also proves there is no cycle, so no
// arbitrary walk cap is needed and a valid list of any length passes. A null
// tail means "not walked by the box" (a whole list handed over): the same walk
// then checks the count and the null end.
#pragma once
#include <cstdint>

#include "hz3/mpsc.h"

namespace hz3 {

// Aborts with a FAILFAST line naming the first violation; O(n).
void list_check(const BoxCtx& ctx, const void* head, const void* tail, uint32_t n);

// Why `p` is not the start of a carved object of (owner, sc); nullptr if it is.
// owner/sc may be -1 for "any". Reads only our own metadata, so it is safe on
// foreign pointers.
const char* object_defect(const void* p, int owner, int sc);

}  // namespace hz3
