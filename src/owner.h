/*
 * owner.h
 *		The extension's own writes run as the extension's owner.
 */
#ifndef OMNI_OWNER_H
#define OMNI_OWNER_H

#include "postgres.h"

/* What OmniBecomeOwner changed, for OmniRestoreCaller */
typedef struct OwnerSwitch
{
	Oid			caller;			/* the role that called */
	int			caller_sec_context;
	bool		set_acting;		/* this switch recorded the acting role */
} OwnerSwitch;

extern bool OmniExtensionSchemaAndOwner(Oid *schema, Oid *owner);
extern Oid	OmniExtensionOwner(void);
extern void OmniBecomeOwner(OwnerSwitch *sw);
extern void OmniRestoreCaller(OwnerSwitch *sw);
extern Oid	OmniActingRole(void);
extern void OmniCheckTargetTable(Oid relid);

#endif							/* OMNI_OWNER_H */
