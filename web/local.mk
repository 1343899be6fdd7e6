# The dashboard: static files served by mmlabd, installed under $(pkgdatadir)/web.
# Chart.js comes from the npm registry (package-lock.json pins it); the build
# copies its distributed UMD file, with its version and licence, into web/vendor.
webdir = $(pkgdatadir)/web
webjsdir = $(webdir)/js
webcssdir = $(webdir)/css
webvendordir = $(webdir)/vendor

dist_web_DATA = web/index.html web/favicon.svg
dist_webjs_DATA = $(WEB_JS)
dist_webcss_DATA = web/css/mmlab.css
dist_webvendor_DATA = web/vendor/chart.umd.min.js $(VENDOR_OTHERS)
VENDOR_OTHERS = \
	web/vendor/chart.js.LICENSE.md \
	web/vendor/chartjs-plugin-annotation.min.js \
	web/vendor/chartjs-plugin-annotation.LICENSE.md \
	web/vendor/d3-scale.bundle.min.js \
	web/vendor/d3-scale.LICENSE \
	web/vendor/VERSIONS

WEB_JS = \
	web/js/api.js \
	web/js/bootstrip.js \
	web/js/buddy.js \
	web/js/cursor.js \
	web/js/eventlog.js \
	web/js/figure.js \
	web/js/format.js \
	web/js/main.js \
	web/js/ops.js \
	web/js/overview.js \
	web/js/pagetables.js \
	web/js/physmap-draw.js \
	web/js/physmap.js \
	web/js/pressure.js \
	web/js/scenarios.js \
	web/js/selected.js \
	web/js/sessions.js \
	web/js/slabs.js \
	web/js/structpage.js \
	web/js/timebar.js \
	web/js/timeline.js \
	web/js/tlb.js \
	web/js/url.js \
	web/js/vmalloc.js \
	web/js/addrspace.js \
	web/js/trace.js \
	web/js/opentrace.js

BUILT_SOURCES += $(dist_webvendor_DATA)
EXTRA_DIST += tools/vendor.sh

# From a git checkout, node_modules (npm ci) holds the libraries; a release
# tarball carries the copied files already, so this rule does not run there.
$(srcdir)/web/vendor/chart.umd.min.js: $(srcdir)/package-lock.json
	$(AM_V_GEN)$(SHELL) $(srcdir)/tools/vendor.sh $(srcdir) && touch $@

$(VENDOR_OTHERS): $(srcdir)/web/vendor/chart.umd.min.js
	@:
