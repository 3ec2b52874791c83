// SPDX-License-Identifier: MIT
/*
 * t_ring_typed.c: must NOT compile for any WRONG=1..N (t_ring_typed.sh):
 * each typed send of <wd_ring.h> given another structure, or an untyped
 * pointer. WRONG=0, the right types, must compile: the control that the
 * failures are the types' and nothing else's.
 */
#include <wd_ring.h>

/* one call of each kind, every argument of the right type unless WRONG */
int t_ring_typed(struct wd_queue *q, struct wd_copy_req *c,
		 struct wd_digest_req *d, struct wd_comp_req *z, void *v);

int t_ring_typed(struct wd_queue *q, struct wd_copy_req *c,
		 struct wd_digest_req *d, struct wd_comp_req *z, void *v)
{
	void *out[2];

	(void)c, (void)d, (void)z, (void)v;
#if WRONG == 0
	wd_ring_flush(q);
	return wd_ring_send_copy(q, c) + wd_ring_send_digest(q, d) +
	       wd_ring_send_comp(q, z) + wd_ring_recv(q, out) +
	       wd_ring_recv_many(q, out, 2);
#elif WRONG == 1
	return wd_ring_send_copy(q, d);
#elif WRONG == 2
	return wd_ring_send_copy(q, z);
#elif WRONG == 3
	return wd_ring_send_digest(q, c);
#elif WRONG == 4
	return wd_ring_send_digest(q, z);
#elif WRONG == 5
	return wd_ring_send_comp(q, c);
#elif WRONG == 6
	return wd_ring_send_comp(q, d);
#elif WRONG == 7
	return wd_ring_send_copy(q, v);	/* untyped: refused too */
#elif WRONG == 8
	return wd_ring_send_digest(q, (struct wd_stream_req *)v);
#endif
}
