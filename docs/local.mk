# Documentation: the manual page, the systemd unit and the OpenAPI description
# of the REST API. The unit goes to $(prefix)/lib/systemd/system unless
# `make install systemdsystemunitdir=DIR` says otherwise, with ExecStart
# pointing at the installed mmlabd.
dist_man8_MANS = docs/mmlabd.8
dist_doc_DATA = docs/openapi.json docs/tutorial.md docs/reclaim.md docs/deploy.md
systemdsystemunitdir = $(prefix)/lib/systemd/system
EXTRA_DIST += docs/mmlabd.service

install-data-local: install-systemd-unit
uninstall-local: uninstall-systemd-unit

install-systemd-unit:
	$(MKDIR_P) '$(DESTDIR)$(systemdsystemunitdir)'
	sed -e 's|/usr/local/sbin/mmlabd|$(sbindir)/mmlabd|' \
		'$(srcdir)/docs/mmlabd.service' >'$(DESTDIR)$(systemdsystemunitdir)/mmlabd.service'
uninstall-systemd-unit:
	rm -f '$(DESTDIR)$(systemdsystemunitdir)/mmlabd.service'
.PHONY: install-systemd-unit uninstall-systemd-unit
