# Regenerates contrib/demo/site/ from ../shared/seeds (the five seed
# documents, each mixed with items that must not be selected). The output
# is committed, so the demo runs without ../shared.
import html, re, pathlib
seeds = pathlib.Path(__file__).resolve().parents[3] / 'shared' / 'seeds'
out = pathlib.Path(__file__).resolve().parent / 'site'
def text(n): return (seeds / sorted(p.name for p in seeds.iterdir())[n]).read_text(encoding='utf-8')
def paras(t):
    ps = [re.sub(r'\s+', ' ', p).strip() for p in re.split(r'\n\s*\n', t)]
    return [p for p in ps if p]
def summary(t, skip=0, n=1):
    return ' '.join(paras(t)[skip:skip+n])
def content_html(t):
    return ''.join('<p>%s</p>\n' % html.escape(p, quote=False) for p in paras(t))

def rss(name, title, link, items):
    s = ['<?xml version="1.0" encoding="UTF-8"?>',
         '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">',
         '<channel>', '<title>%s</title>' % html.escape(title), '<link>%s</link>' % link,
         '<description>%s</description>' % html.escape(title), '<language>%s</language>' % items[0].get('lang','sv')]
    for it in items:
        s.append('<item>')
        s.append('<title>%s</title>' % html.escape(it['title'], quote=False))
        s.append('<link>%s</link>' % it['link'])
        s.append('<guid isPermaLink="false">%s</guid>' % it['guid'])
        if it.get('date822'): s.append('<pubDate>%s</pubDate>' % it['date822'])
        if it.get('author'): s.append('<dc:creator>%s</dc:creator>' % html.escape(it['author']))
        for c in it.get('cats', []): s.append('<category>%s</category>' % html.escape(c))
        s.append('<description>%s</description>' % html.escape('<p>%s</p>' % html.escape(it['summary'], quote=False), quote=False))
        if it.get('content'): s.append('<content:encoded><![CDATA[%s]]></content:encoded>' % it['content'])
        s.append('</item>')
    s += ['</channel>', '</rss>', '']
    (out / name).write_text('\n'.join(s), encoding='utf-8')

def atom(name, title, base, items):
    s = ['<?xml version="1.0" encoding="utf-8"?>',
         '<feed xmlns="http://www.w3.org/2005/Atom" xml:base="%s">' % base,
         '<title>%s</title>' % html.escape(title), '<id>%s</id>' % base, '<updated>%s</updated>' % items[0]['date3339'],
         '<link rel="alternate" href="/"/>']
    for it in items:
        s.append('<entry>')
        s.append('<title type="text">%s</title>' % html.escape(it['title'], quote=False))
        s.append('<link rel="alternate" type="text/html" href="%s"/>' % it['link'])
        s.append('<id>%s</id>' % it['guid'])
        s.append('<published>%s</published>' % it['date3339'])
        s.append('<updated>%s</updated>' % it['date3339'])
        if it.get('author'): s.append('<author><name>%s</name></author>' % html.escape(it['author']))
        for c in it.get('cats', []): s.append('<category term="%s"/>' % html.escape(c))
        s.append('<summary type="html">%s</summary>' % html.escape('<p>%s</p>' % html.escape(it['summary'], quote=False), quote=False))
        if it.get('content'): s.append('<content type="html">%s</content>' % html.escape(it['content'], quote=False))
        s.append('</entry>')
    s += ['</feed>', '']
    (out / name).write_text('\n'.join(s), encoding='utf-8')

t0, t1, t2, t3, t4 = (text(i) for i in range(5))
rss('dlf-stockholm.xml', 'Distriktsläkarföreningen i Stockholm', 'https://dlf-sthlm.example.se/', [
  dict(title='DLF Stockholm: verksamhetsplan 2022', link='https://dlf-sthlm.example.se/verksamhetsplan-2022/', guid='dlf-sthlm-2022-vp',
       date822='Sat, 15 Jan 2022 10:00:00 +0100', author='Ylva Sandström', cats=['Föreningen'], summary=summary(t0), content=content_html(t0)),
  dict(title='Vi söker en ny kassör till styrelsen', link='https://dlf-sthlm.example.se/kassor/', guid='dlf-sthlm-kassor',
       date822='Mon, 10 Jan 2022 09:00:00 +0100', summary='Föreningen söker en kassör inför årsmötet. Sista ansökningsdag är den 31 januari. Vi söker dig som är medlem och har intresse för ekonomi.'),
])
rss('socialdemokraterna-stockholm.xml', 'Socialdemokraterna i Region Stockholm', 'https://regionstockholm.example.se/', [
  dict(title='Antalet läkare ska fördubblas på vårdcentralerna i Stockholm län', link='https://regionstockholm.example.se/nyheter/fler-lakare-pa-vardcentralerna/',
       guid='s-rs-2024-04-17', date822='Wed, 17 Apr 2024 15:30:00 +0200', cats=['Hälso- och sjukvård'], summary=summary(t1, 2), content=content_html(t1)),
  dict(title='Nya pendeltåg ska korta restiderna till Södertälje', link='https://regionstockholm.example.se/nyheter/pendeltag/', guid='s-rs-pendel',
       date822='Tue, 16 Apr 2024 08:00:00 +0200', cats=['Trafik'], summary='Trafiknämnden har beslutat att köpa in tolv nya pendeltåg. Restiden mellan Stockholm City och Södertälje centrum väntas minska med sju minuter från 2026.'),
  dict(title='Mer pengar till kulturskolan i länets kommuner', link='https://regionstockholm.example.se/nyheter/kulturskolan/', guid='s-rs-kultur',
       date822='Mon, 15 Apr 2024 12:00:00 +0200', cats=['Kultur'], summary='Kulturnämnden fördelar fem miljoner kronor till kommunernas kulturskolor så att fler barn kan spela ett instrument eller dansa efter skoltid.'),
])
atom('allmennlegeforeningen.xml', 'Allmennlegeforeningen', 'https://legeforeningen.example.no/allmennlegeforeningen/', [
  dict(title='Restaurering og nybygg – utvikling av legetjenestene i kommunene: konferansen utsettes', link='nyheter/2021/restaurering-og-nybygg/', guid='tag:legeforeningen.example.no,2021:restaurering',
       date3339='2021-12-15T09:00:00+01:00', author='Allmennlegeforeningen', cats=['Konferanse'], summary=summary(t2, 0, 2), content=content_html(t2)),
  dict(title='Tannlegevakten i Tromsø flytter til nye lokaler', link='nyheter/2021/tannlegevakt/', guid='tag:legeforeningen.example.no,2021:tannlegevakt',
       date3339='2021-12-10T12:00:00+01:00', summary='Tannlegevakten holder fra januar til i nye lokaler i sentrum. Åpningstidene er som før, og akutt tannbehandling tilbys hele helgen.'),
])
atom('region-stockholm.xml', 'Region Stockholm: nyheter', 'https://vardgivarguiden.example.se/', [
  dict(title='Primärvårdsstrategi', link='utveckling/projekt/primarvard/', guid='tag:vardgivarguiden.example.se,2020:primarvardsstrategi',
       date3339='2020-02-03T10:00:00+01:00', cats=['Primärvård'], summary=summary(t3, 1), content=content_html(t3)),
  dict(title='Karolinska stänger vårdplatser i sommar', link='nyheter/2020/karolinska-vardplatser/', guid='tag:vardgivarguiden.example.se,2020:karolinska',
       date3339='2020-02-02T08:00:00+01:00', cats=['Sjukhus'], summary='Karolinska universitetssjukhuset räknar med att cirka 200 vårdplatser hålls stängda under juli på grund av sjuksköterskebrist.'),
  dict(title='Ny tidtabell för tunnelbanans gröna linje', link='nyheter/2020/tunnelbana/', guid='tag:vardgivarguiden.example.se,2020:tunnelbana',
       date3339='2020-02-01T08:00:00+01:00', cats=['SL'], summary='Från den 15 februari går gröna linjen var tionde minut under kvällar och helger. Resenärer uppmanas planera sin resa i appen.'),
])
rss('statsforvalteren-trondelag.xml', 'Statsforvalteren i Trøndelag', 'https://statsforvalteren.example.no/nb/trondelag/', [
  dict(title='Dialogmøte om fastlegeordningen', link='https://statsforvalteren.example.no/nb/trondelag/nyheter/2021/11/dialogmote-om-fastlegeordningen/', guid='sf-trl-dialogmote-2021',
       date822='Sat, 20 Nov 2021 10:00:00 +0100', lang='no', cats=['Helse'], summary=next(p for p in paras(t4) if p.startswith('Utfordringer med')), content=content_html(t4)),
  dict(title='Ledig stilling: rådgiver i landbruksavdelingen', link='https://statsforvalteren.example.no/nb/trondelag/stilling/radgiver/', guid='sf-trl-stilling',
       date822='Fri, 19 Nov 2021 10:00:00 +0100', lang='no', summary='Vi søker en rådgiver med kompetanse på jordbruk og miljø. Søknadsfrist 10. desember.'),
  dict(title='Ny veileder for skogvern i kommunene', link='https://statsforvalteren.example.no/nb/trondelag/nyheter/2021/11/skogvern/', guid='sf-trl-skogvern',
       date822='Thu, 18 Nov 2021 10:00:00 +0100', lang='no', summary='Statsforvalteren har laget en veileder om frivillig skogvern for kommunene i Trøndelag.'),
])
# The association's own meetings, for the digest's "På gång" (issue 21).
# No pubDate, and days without a year: an event is the next such day after
# the item is first seen, so the demo shows upcoming meetings whenever it
# runs (and in February and August under the tests' clock). In a folder of
# its own: tests that take every site/*.xml count the items above.
(out / 'moten').mkdir(exist_ok=True)
rss('moten/dlf-stockholm-moten.xml', 'Distriktsläkarföreningen i Stockholm: möten', 'https://dlf-sthlm.example.se/moten/', [
  dict(title='Medlemsmöte om primärvårdsstrategin', link='https://dlf-sthlm.example.se/moten/medlemsmote-var/', guid='dlf-sthlm-medlemsmote-var',
       summary='Välkommen till vårens medlemsmöte den 11 mars kl. 18.00–20.00 i Läkarnas hus. Tjänstemän från Region Stockholm berättar om arbetet med Primärvårdsstrategin, och vi diskuterar vad den betyder för distriktsläkarna.'),
  dict(title='Höstens medlemsmöte: budgeten och Vårdval Stockholm', link='https://dlf-sthlm.example.se/moten/medlemsmote-host/', guid='dlf-sthlm-medlemsmote-host',
       summary='Den 9 september kl. 17.30–19.30 går vi igenom regionens budget för primärvården och förfrågningsunderlaget för Vårdval Stockholm inför nästa år. Anmälan till styrelsen.'),
])
