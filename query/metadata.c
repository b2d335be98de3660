/*
 * metadata.c -- the service document and $metadata (CSDL XML and JSON).
 * Stub: the service issue fills it in.
 */
#include "query.h"

int
kq_service_document(kportal *p, const char *service_root,
                    const kueri_sink *sink)
{
	(void)p;
	(void)service_root;
	(void)sink;
	return -1;
}

int
kq_metadata_xml(kportal *p, const kueri_sink *sink)
{
	(void)p;
	(void)sink;
	return -1;
}

int
kq_metadata_json(kportal *p, const kueri_sink *sink)
{
	(void)p;
	(void)sink;
	return -1;
}
