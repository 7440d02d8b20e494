"""Demo data: 30 work processes reported in three Danish municipalities.

Pure data module used to seed the demo tenants (Syddjurs, Norddjurs and Aarhus).
Texts are written in Danish because they are shown to municipal users. Names,
phone numbers and e-mail addresses in ``internal_notes`` are fictitious and are
present on purpose so that anonymisation can be exercised when processes are
shared to the common catalogue.

Each entry has the keys ``municipality``, ``title``, ``summary``, ``description``,
``domain`` (fagområde), ``kle_code`` (a level-3 KLE topic), ``phase``, ``status``,
``status_reason``, ``visibility``, ``occurrences_per_year``,
``minutes_per_occurrence``, ``automation_share_pct``, ``technologies``, ``vendor``,
``it_systems`` (list of ``{"name", "vendor"}``), ``internal_notes`` and
``reporter_role`` (``"employee"`` or ``"automation"``). Processes in phase
``operation`` or ``decommissioned`` also carry ``lessons``.
"""

from __future__ import annotations

from typing import Any

DEMO_PROCESSES: list[dict[str, Any]] = [
    # -------------------- Syddjurs ----------------------------------------------------
    {
        "municipality": "syddjurs",
        "title": "Robot varsler opfølgningsfrister i sygedagpengesager",
        "summary": (
            "En softwarerobot gennemgår dagligt alle aktive sygedagpengesager og opretter en "
            "opgave til sagsbehandleren, når en lovpligtig opfølgningssamtale nærmer sig fristen."
        ),
        "description": (
            "Tidligere brugte hver sagsbehandler i Jobcentret omkring en time om ugen på at trække "
            "lister og krydstjekke frister i Excel, og alligevel blev frister overset i travle "
            "perioder. Robotten læser første fraværsdag og seneste opfølgning i sagen og opretter "
            "en opgave i Momentum til den ansvarlige sagsbehandler ti arbejdsdage før fristen. "
            "Hver mandag sender den desuden en samlet oversigt til teamlederen."
        ),
        "domain": "Beskæftigelse",
        "kle_code": "15.17.06",
        "phase": "operation",
        "status": "in_progress",
        "status_reason": "",
        "visibility": "municipality",
        "occurrences_per_year": 4200,
        "minutes_per_occurrence": 12,
        "automation_share_pct": 85,
        "technologies": ["RPA", "Integration"],
        "vendor": "Egen udvikling",
        "it_systems": [
            {"name": "Momentum", "vendor": "Netcompany"},
            {"name": "KMD Sygedagpenge", "vendor": "KMD"},
        ],
        "internal_notes": (
            "Kontakt Mette i Jobcentrets sygedagpengeteam, tlf. 87 53 54 31, hvis reglerne for "
            "opfølgning ændres – så skal robottens frister justeres."
        ),
        "reporter_role": "automation",
        "lessons": {
            "what_worked": (
                "Tæt samarbejde med to erfarne sagsbehandlere under testen betød, at undtagelserne "
                "(fx delvis raskmelding og graviditetsrelateret fravær) blev fanget tidligt."
            ),
            "what_did_not": (
                "Robotten gik i stå to gange efter opdateringer af Momentum, fordi skærmbillederne "
                "var ændret, og vi havde ikke aftalt, hvem der overvågede den."
            ),
            "advice_to_others": (
                "Aftal fra start, hvem der overvåger robotten i driften, og få fagsystemets "
                "releaseplan ind i jeres egen driftskalender."
            ),
            "realised_hours_per_year": 700,
            "realised_benefit_rating": 3,
        },
    },
    {
        "municipality": "syddjurs",
        "title": "Automatisk journalisering af indgående e-mails fra borgere",
        "summary": (
            "En AI-model foreslår sag og dokumenttitel for e-mails i fællespostkasserne, så "
            "medarbejderen kun skal godkende journaliseringen i SBSYS."
        ),
        "description": (
            "Borgerservice og Social og Sundhed journaliserer i dag manuelt 60-80 e-mails om dagen "
            "fra fællespostkasserne. Det tager tid at finde den rigtige sag ud fra CPR-nummer og "
            "emne, og e-mails bliver liggende i indbakken i flere dage. Løsningen læser e-mailen, "
            "finder borgerens åbne sager i SBSYS og foreslår den mest sandsynlige. Medarbejderen "
            "godkender med ét klik, hvorefter e-mail og vedhæftninger journaliseres."
        ),
        "domain": "Administration",
        "kle_code": "85.02.01",
        "phase": "development",
        "status": "in_progress",
        "status_reason": "",
        "visibility": "municipality",
        "occurrences_per_year": 18000,
        "minutes_per_occurrence": 4,
        "automation_share_pct": 60,
        "technologies": ["AI", "RPA", "Integration"],
        "vendor": "Netcompany",
        "it_systems": [
            {"name": "SBSYS", "vendor": "SBSYS"},
            {"name": "Microsoft Outlook", "vendor": "Microsoft"},
        ],
        "internal_notes": "Pilotbudget på 250.000 kr. er bevilget fra digitaliseringspuljen 2025.",
        "reporter_role": "automation",
    },
    {
        "municipality": "syddjurs",
        "title": "Robotkontering af faste leverandørfakturaer i kreditorbogholderiet",
        "summary": (
            "Tilbagevendende fakturaer fra el-, vand- og leasingleverandører konteres og sendes "
            "til godkendelse af en robot, så bogholderiet kun behandler afvigelserne."
        ),
        "description": (
            "Kreditorbogholderiet modtager hver måned omkring 1.500 fakturaer, der konteres på "
            "præcis samme måde hver gang. Robotten slår leverandøren op i en konteringstabel, "
            "udfylder art, omkostningssted og eventuelt projektnummer og sender fakturaen videre "
            "til godkendelse i Opus. Fakturaer, hvor beløbet afviger mere end 10 % fra sidste "
            "måned, lægges i en kø til manuel behandling."
        ),
        "domain": "Økonomi",
        "kle_code": "85.15.08",
        "phase": "operation",
        "status": "in_progress",
        "status_reason": "",
        "visibility": "municipality",
        "occurrences_per_year": 18000,
        "minutes_per_occurrence": 3,
        "automation_share_pct": 80,
        "technologies": ["RPA"],
        "vendor": "Egen udvikling",
        "it_systems": [
            {"name": "Opus Økonomi", "vendor": "KMD"},
            {"name": "NemHandel", "vendor": "Erhvervsstyrelsen"},
        ],
        "internal_notes": "",
        "reporter_role": "automation",
        "lessons": {
            "what_worked": (
                "Bogholderiet vedligeholder selv konteringstabellen, så nye leverandører og "
                "ændrede konti ikke kræver en udvikler."
            ),
            "what_did_not": (
                "Kreditnotaer og delleverancer gav mange fejlkonteringer i de første måneder og "
                "måtte til sidst sorteres helt fra."
            ),
            "advice_to_others": (
                "Start med de 20 leverandører, der sender flest fakturaer, og udvid først, når "
                "afvigelseskøen er under kontrol."
            ),
            "realised_hours_per_year": 620,
            "realised_benefit_rating": 2,
        },
    },
    {
        "municipality": "syddjurs",
        "title": "Automatisk opdatering af ventelister til vuggestue og børnehave",
        "summary": (
            "Pladsanvisningen bruger meget tid på at holde ventelisterne ajour, når forældre "
            "ændrer ønsker eller flytter. Det kunne måske klares automatisk."
        ),
        "description": (
            "Når forældre ændrer pasningsønsker eller flytter ud af kommunen, skal vi rette "
            "ventelisten manuelt og sende et nyt brev. Især i foråret, hvor mange søger plads til "
            "august, hober det sig op. Jeg forestiller mig, at ændringer fra den digitale "
            "ansøgning og flytninger fra CPR automatisk kunne opdatere listen, så vi kun skal se "
            "på de særlige tilfælde."
        ),
        "domain": "Uddannelse og dagtilbud",
        "kle_code": "28.09.40",
        "phase": "idea",
        "status": "not_assessed",
        "status_reason": "",
        "visibility": "municipality",
        "occurrences_per_year": 1400,
        "minutes_per_occurrence": 15,
        "automation_share_pct": 70,
        "technologies": [],
        "vendor": "",
        "it_systems": [
            {"name": "KMD Institution", "vendor": "KMD"},
        ],
        "internal_notes": "",
        "reporter_role": "employee",
    },
    {
        "municipality": "syddjurs",
        "title": "Selvbetjening og automatisk genbestilling af inkontinenshjælpemidler",
        "summary": (
            "Borgere med en bevilling skal selv kunne bestille næste levering af bleer og andre "
            "kropsbårne hjælpemidler digitalt, hvorefter ordren sendes direkte til leverandøren."
        ),
        "description": (
            "Hjælpemiddelteamet modtager ca. 300 opkald om måneden om genbestilling af "
            "inkontinenshjælpemidler. Hver bestilling kræver opslag i bevillingen i Nexus og "
            "manuel indtastning i leverandørens webshop. Forundersøgelsen skal afklare, om "
            "leverandøren kan modtage ordrer via en integration, og hvordan vi fortsat hjælper "
            "borgere, der ikke selv kan bruge en digital løsning."
        ),
        "domain": "Sundhed og ældre",
        "kle_code": "27.60.04",
        "phase": "preanalysis",
        "status": "in_progress",
        "status_reason": "",
        "visibility": "municipality",
        "occurrences_per_year": 3600,
        "minutes_per_occurrence": 9,
        "automation_share_pct": 65,
        "technologies": ["Selvbetjening", "Integration"],
        "vendor": "",
        "it_systems": [
            {"name": "KMD Nexus", "vendor": "KMD"},
        ],
        "internal_notes": (
            "Leverandøraftalen udløber i 2026 – tjek kontraktens bestemmelser om ordreformat inden "
            "næste styregruppemøde."
        ),
        "reporter_role": "automation",
    },
    {
        "municipality": "syddjurs",
        "title": "Online booking af storskraldsafhentning med automatisk kørselsliste",
        "summary": (
            "Borgerne ringer eller skriver i dag for at bestille afhentning af storskrald. Vi "
            "foreslår en selvbetjeningsløsning, der samtidig laver chaufførernes kørselslister."
        ),
        "description": (
            "Hver uge får vi mange opkald og mails om afhentning af storskrald og haveaffald. "
            "Bestillingerne skrives ind i et regneark, og hver torsdag sætter en kollega ruterne "
            "sammen til chaufførerne. Det ville spare tid og give færre fejl, hvis borgerne selv "
            "kunne booke, og ruterne blev dannet automatisk ud fra adresserne."
        ),
        "domain": "Miljø",
        "kle_code": "07.00.00",
        "phase": "idea",
        "status": "not_assessed",
        "status_reason": "",
        "visibility": "municipality",
        "occurrences_per_year": 6500,
        "minutes_per_occurrence": 6,
        "automation_share_pct": 75,
        "technologies": [],
        "vendor": "",
        "it_systems": [],
        "internal_notes": "",
        "reporter_role": "employee",
    },
    {
        "municipality": "syddjurs",
        "title": "Samlet fratrædelsesflow: lønstop, lukning af adgange og aflevering af udstyr",
        "summary": (
            "Når en medarbejder fratræder, skal lønstop, lukning af IT-adgange og hjemkaldelse af "
            "udstyr sættes i gang fra én registrering i stedet for fire forskellige blanketter."
        ),
        "description": (
            "I dag udfylder lederen separate blanketter til HR, Løn, IT og Ejendomme, og det sker "
            "jævnligt, at adgange til fagsystemer står åbne i flere uger efter fratrædelsen. Vi "
            "beskriver nu et workflow, hvor lederens registrering af fratrædelsen i Silkeborg Data "
            "automatisk sætter de øvrige opgaver i gang. Kravspecifikationen skal behandles i "
            "digitaliseringsstyregruppen i næste kvartal."
        ),
        "domain": "HR og personale",
        "kle_code": "81.36.00",
        "phase": "specification",
        "status": "in_progress",
        "status_reason": "",
        "visibility": "municipality",
        "occurrences_per_year": 650,
        "minutes_per_occurrence": 45,
        "automation_share_pct": 70,
        "technologies": ["Workflow", "Integration"],
        "vendor": "Egen udvikling",
        "it_systems": [
            {"name": "Silkeborg Data", "vendor": "Silkeborg Data"},
            {"name": "OS2rollekatalog", "vendor": "OS2"},
        ],
        "internal_notes": "Lone fra HR er fagansvarlig og kan kontaktes på lokr@syddjurs.dk.",
        "reporter_role": "automation",
    },
    {
        "municipality": "syddjurs",
        "title": "Månedlig budgetopfølgning sendes automatisk til decentrale ledere",
        "summary": (
            "Hver måned dannes en ensartet budgetrapport pr. omkostningssted med forbrug, prognose "
            "og kommentarfelt, som sendes direkte til den ansvarlige leder."
        ),
        "description": (
            "Økonomikonsulenterne har hidtil trukket data fra Opus, opdateret Excel-ark og sendt "
            "dem til ca. 140 ledere – et arbejde, der tog flere dage hver måned. Den nye løsning "
            "henter data via integration, danner rapporterne i Power BI og sender et link til hver "
            "leder. Udrulningen er i gang på skole- og ældreområdet, og de øvrige områder følger "
            "efter sommerferien."
        ),
        "domain": "Økonomi",
        "kle_code": "00.30.14",
        "phase": "implementation",
        "status": "in_progress",
        "status_reason": "",
        "visibility": "municipality",
        "occurrences_per_year": 1680,
        "minutes_per_occurrence": 25,
        "automation_share_pct": 85,
        "technologies": ["Integration"],
        "vendor": "Egen udvikling",
        "it_systems": [
            {"name": "Opus Økonomi", "vendor": "KMD"},
            {"name": "Power BI", "vendor": "Microsoft"},
        ],
        "internal_notes": (
            "Power BI Pro-licenser er finansieret af Økonomi og Digitalisering til og med 2026."
        ),
        "reporter_role": "automation",
    },
    {
        "municipality": "syddjurs",
        "title": "Chatbot på syddjurs.dk til spørgsmål om affald, pas og flytning",
        "summary": (
            "Kommunens egen chatbot besvarede enkle borgerspørgsmål døgnet rundt, men er lukket "
            "ned og erstattet af en fælleskommunal løsning."
        ),
        "description": (
            "Chatbotten blev sat i drift i 2021 for at aflaste Borgerservice i telefontiden. Den "
            "besvarede spørgsmål om åbningstider, pas, flytning og tømmedage og henviste til "
            "selvbetjeningsløsningerne på borger.dk. Vedligeholdelsen af svarene viste sig at være "
            "tung for en kommune af vores størrelse, og da en fælleskommunal chatbot blev "
            "tilgængelig, blev løsningen udfaset."
        ),
        "domain": "Administration",
        "kle_code": "00.14.00",
        "phase": "decommissioned",
        "status": "no_longer_relevant",
        "status_reason": (
            "Erstattet af en fælleskommunal chatbot i 2024. Den lokale løsning er lukket, og "
            "licensen er opsagt."
        ),
        "visibility": "municipality",
        "occurrences_per_year": 9000,
        "minutes_per_occurrence": 5,
        "automation_share_pct": 40,
        "technologies": ["Chatbot"],
        "vendor": "Boost.ai",
        "it_systems": [
            {"name": "Boost.ai", "vendor": "Boost.ai"},
        ],
        "internal_notes": "",
        "reporter_role": "automation",
        "lessons": {
            "what_worked": (
                "Borgerne tog godt imod chatbotten uden for åbningstid, og antallet af opkald om "
                "tømmedage faldt mærkbart."
            ),
            "what_did_not": (
                "Vi undervurderede, hvor meget tid det krævede at holde over 400 svar opdaterede, "
                "og der var ingen fast ejer i fagområderne."
            ),
            "advice_to_others": (
                "Udpeg en ansvarlig redaktør i hvert fagområde fra dag ét, og undersøg "
                "fælleskommunale løsninger, før I bygger jeres egen."
            ),
            "realised_hours_per_year": 250,
            "realised_benefit_rating": 1,
        },
    },
    {
        "municipality": "syddjurs",
        "title": "Automatisk indsamling af energidata til kommunens klimaregnskab",
        "summary": (
            "Idé: Energiforbruget i de kommunale bygninger og bilparken kunne hentes automatisk, "
            "så tallene til klimaregnskabet ikke skal tastes ind i hånden hvert år."
        ),
        "description": (
            "Hvert forår bruger jeg og en kollega flere uger på at samle el-, varme- og "
            "brændstofforbrug fra forskellige portaler og fakturaer til det årlige klimaregnskab. "
            "Tallene findes allerede digitalt hos forsyningerne og i vores energistyringssystem, "
            "men vi kopierer dem over i et regneark. Det må kunne gøres smartere."
        ),
        "domain": "Bæredygtighed",
        "kle_code": "00.32.06",
        "phase": "idea",
        "status": "not_assessed",
        "status_reason": "",
        "visibility": "personal",
        "occurrences_per_year": 250,
        "minutes_per_occurrence": 20,
        "automation_share_pct": 80,
        "technologies": [],
        "vendor": "",
        "it_systems": [
            {"name": "EnergyKey", "vendor": "EnergyKey"},
        ],
        "internal_notes": "",
        "reporter_role": "employee",
    },
    # -------------------- Norddjurs ---------------------------------------------------
    {
        "municipality": "norddjurs",
        "title": "Automatisk hjemtagning af sygedagpengerefusion via NemRefusion",
        "summary": (
            "En robot anmelder fravær og opretter refusionskrav i NemRefusion for kommunens "
            "ansatte og afstemmer den modtagne refusion i økonomisystemet."
        ),
        "description": (
            "Lønafdelingen skulle tidligere selv holde øje med, hvornår en medarbejders sygefravær "
            "passerede arbejdsgiverperioden, og derefter anmelde fraværet manuelt i NemRefusion. "
            "Anmeldelser blev af og til sendt for sent, og refusionen gik tabt. Robotten henter "
            "fraværsdata fra lønsystemet hver nat, opretter anmeldelserne rettidigt og afstemmer "
            "indbetalingerne."
        ),
        "domain": "HR og personale",
        "kle_code": "81.60.05",
        "phase": "operation",
        "status": "in_progress",
        "status_reason": "",
        "visibility": "municipality",
        "occurrences_per_year": 1100,
        "minutes_per_occurrence": 20,
        "automation_share_pct": 90,
        "technologies": ["RPA", "Integration"],
        "vendor": "Netcompany",
        "it_systems": [
            {"name": "NemRefusion", "vendor": "Styrelsen for Arbejdsmarked og Rekruttering"},
            {"name": "Silkeborg Data", "vendor": "Silkeborg Data"},
            {"name": "Opus Økonomi", "vendor": "KMD"},
        ],
        "internal_notes": (
            "Tabt refusion i 2022 blev opgjort til ca. 1,1 mio. kr. – tallet indgår i business "
            "casen."
        ),
        "reporter_role": "automation",
        "lessons": {
            "what_worked": (
                "Tabt refusion på grund af overskredne frister er faldet til næsten nul, og "
                "lønmedarbejderne bruger tiden på de komplicerede sager."
            ),
            "what_did_not": (
                "Fravær, som lederne registrerer for sent, giver stadig manuelt efterarbejde, og "
                "det kan robotten ikke løse."
            ),
            "advice_to_others": (
                "Få lederne til at registrere fravær rettidigt, før I automatiserer – løsningen er "
                "kun så god som de data, den får."
            ),
            "realised_hours_per_year": 480,
            "realised_benefit_rating": 3,
        },
    },
    {
        "municipality": "norddjurs",
        "title": "AI-screening af nye byggeansøgninger for manglende oplysninger",
        "summary": (
            "Forundersøgelse af, om en AI-model kan gennemgå ansøgninger fra Byg og Miljø og pege "
            "på manglende tegninger, beregninger og oplysninger, før sagen fordeles."
        ),
        "description": (
            "Omkring halvdelen af de byggeansøgninger, vi modtager, er ikke fuldt oplyste, og det "
            "opdages ofte først, når sagen tages op efter flere uger. En automatisk screening ved "
            "modtagelsen kunne give ansøgeren besked med det samme og forkorte "
            "sagsbehandlingstiden. Forundersøgelsen skal vurdere datagrundlaget, de juridiske "
            "rammer for brug af AI og om der findes løsninger i andre kommuner, vi kan genbruge."
        ),
        "domain": "Teknik",
        "kle_code": "02.34.02",
        "phase": "preanalysis",
        "status": "in_progress",
        "status_reason": "",
        "visibility": "municipality",
        "occurrences_per_year": 900,
        "minutes_per_occurrence": 30,
        "automation_share_pct": 50,
        "technologies": ["AI", "OCR"],
        "vendor": "",
        "it_systems": [
            {"name": "Byg og Miljø", "vendor": "Social- og Boligstyrelsen"},
            {"name": "Acadre", "vendor": "Formpipe"},
        ],
        "internal_notes": (
            "Spørgsmål om den nuværende sagsgang kan rettes til Henrik i Byggeri, hbl@norddjurs.dk."
        ),
        "reporter_role": "automation",
    },
    {
        "municipality": "norddjurs",
        "title": (
            "Skoleindskrivning: elevdata overføres automatisk til skolernes elevadministration"
        ),
        "summary": (
            "Når forældrene har indskrevet deres barn digitalt, oprettes eleven automatisk på den "
            "rigtige skole i elevadministrationssystemet."
        ),
        "description": (
            "Skolesekretærerne taster i dag oplysningerne fra den digitale skoleindskrivning ind "
            "igen, og det tager typisk en uge i januar på hver skole. Vi udvikler en integration, "
            "der overfører elev- og forældreoplysninger direkte, så sekretærerne kun skal "
            "kontrollere og fordele eleverne i klasser. Løsningen testes på tre skoler inden næste "
            "indskrivningsperiode."
        ),
        "domain": "Uddannelse og dagtilbud",
        "kle_code": "17.20.01",
        "phase": "development",
        "status": "in_progress",
        "status_reason": "",
        "visibility": "municipality",
        "occurrences_per_year": 800,
        "minutes_per_occurrence": 15,
        "automation_share_pct": 75,
        "technologies": ["Integration", "Selvbetjening"],
        "vendor": "Egen udvikling",
        "it_systems": [
            {"name": "Tabulex Elevadministration", "vendor": "Tabulex"},
            {"name": "Aula", "vendor": "Netcompany"},
        ],
        "internal_notes": "",
        "reporter_role": "automation",
    },
    {
        "municipality": "norddjurs",
        "title": "Automatisk indberetning af huslejeændringer i plejeboliger til boligstøtte",
        "summary": (
            "Når huslejen i plejeboligerne reguleres, skal hver beboers boligstøtte genberegnes, "
            "og i dag indberettes ændringerne manuelt til Udbetaling Danmark."
        ),
        "description": (
            "Ved den årlige huslejeregulering og ved indflytninger sender vi ændringerne til "
            "Udbetaling Danmark, så beboernes boligstøtte bliver korrekt. Vi udfylder en blanket "
            "pr. beboer ud fra lejeberegningen, og det er et stort arbejde i december, hvor der "
            "let sker tastefejl. Kunne listen fra lejeberegningen sendes samlet, eller kunne en "
            "robot klare indberetningen?"
        ),
        "domain": "Social",
        "kle_code": "32.06.00",
        "phase": "idea",
        "status": "not_assessed",
        "status_reason": "",
        "visibility": "municipality",
        "occurrences_per_year": 450,
        "minutes_per_occurrence": 15,
        "automation_share_pct": 80,
        "technologies": [],
        "vendor": "",
        "it_systems": [],
        "internal_notes": "",
        "reporter_role": "employee",
    },
    {
        "municipality": "norddjurs",
        "title": "Kontrol af CVR-oplysninger ved ansøgning om erhvervstilskud",
        "summary": (
            "Automatisk opslag i CVR ved ansøgninger til kommunens erhvervspulje er blevet "
            "forundersøgt, men afvist på grund af for lav volumen."
        ),
        "description": (
            "Erhvervsservice kontrollerer manuelt ansøgerens CVR-nummer, branchekode, ejerforhold "
            "og status, inden en ansøgning til erhvervspuljen behandles. Idéen var, at "
            "ansøgningsskemaet selv skulle slå oplysningerne op og markere afvigelser. "
            "Forundersøgelsen viste, at der kun kommer ca. 80 ansøgninger om året, og at opslaget "
            "tager få minutter."
        ),
        "domain": "Erhverv",
        "kle_code": "24.10.07",
        "phase": "preanalysis",
        "status": "rejected",
        "status_reason": (
            "Afvist i digitaliseringsudvalget: gevinsten er under 10 timer om året og står ikke "
            "mål med udvikling og drift. Kan genovervejes, hvis der kommer en fælles "
            "CVR-komponent."
        ),
        "visibility": "municipality",
        "occurrences_per_year": 80,
        "minutes_per_occurrence": 5,
        "automation_share_pct": 90,
        "technologies": ["Integration"],
        "vendor": "",
        "it_systems": [
            {"name": "CVR", "vendor": "Erhvervsstyrelsen"},
            {"name": "SurveyXact", "vendor": "Rambøll"},
        ],
        "internal_notes": "",
        "reporter_role": "automation",
    },
    {
        "municipality": "norddjurs",
        "title": "Automatisk indkaldelse og SMS-påmindelse i Den Kommunale Tandpleje",
        "summary": (
            "Børn og unge indkaldes automatisk via Digital Post med mulighed for selv at flytte "
            "tiden, og forældrene får en SMS-påmindelse to dage før."
        ),
        "description": (
            "Klinikassistenterne sendte tidligere indkaldelserne manuelt og brugte meget tid i "
            "telefonen på at flytte tider. Nu dannes indkaldelserne automatisk ud fra det enkelte "
            "barns undersøgelsesinterval, og forældrene kan selv booke en ny tid via et link. "
            "Antallet af udeblivelser er faldet markant, efter at SMS-påmindelserne blev indført."
        ),
        "domain": "Sundhed og ældre",
        "kle_code": "29.15.04",
        "phase": "operation",
        "status": "in_progress",
        "status_reason": "",
        "visibility": "municipality",
        "occurrences_per_year": 14000,
        "minutes_per_occurrence": 4,
        "automation_share_pct": 85,
        "technologies": ["Integration", "Selvbetjening"],
        "vendor": "Egen udvikling",
        "it_systems": [
            {"name": "T2 Tandplejesystem", "vendor": "Carestream Dental"},
            {"name": "Digital Post", "vendor": "Digitaliseringsstyrelsen"},
            {"name": "SMS-gateway", "vendor": "inMobile"},
        ],
        "internal_notes": (
            "Birgitte (tandplejeleder) følger udeblivelsesstatistikken månedligt – "
            "bitp@norddjurs.dk."
        ),
        "reporter_role": "automation",
        "lessons": {
            "what_worked": (
                "Selvbooking blev hurtigt populær: over halvdelen af ombookingerne sker nu uden "
                "opkald til klinikken."
            ),
            "what_did_not": (
                "Familier med adressebeskyttelse eller fritagelse for Digital Post skulle "
                "håndteres manuelt, og det var ikke afklaret før idriftsættelsen."
            ),
            "advice_to_others": (
                "Kortlæg undtagelserne grundigt, og mål udeblivelser før og efter, så gevinsten "
                "kan dokumenteres."
            ),
            "realised_hours_per_year": 900,
            "realised_benefit_rating": 3,
        },
    },
    {
        "municipality": "norddjurs",
        "title": "Robot til rykkerprocedure og oversendelse af restancer til inddrivelse",
        "summary": (
            "Forsøg med en robot, der skulle udsende rykkere og oversende ubetalte krav til "
            "Gældsstyrelsen. Projektet er stoppet i udviklingsfasen."
        ),
        "description": (
            "Debitorteamet håndterer ca. 7.000 rykkere om året for bl.a. forældrebetaling, "
            "ejendomsskat og huslejerestancer. Robotten skulle køre rykkerforslaget i Opus "
            "Debitor, sortere krav med betalingsaftaler fra og oversende resten til "
            "Gældsstyrelsen. Under testen viste det sig, at mange krav manglede de stamdata, der "
            "kræves ved oversendelse, og at robotten fejlede ved hver opdatering af Opus."
        ),
        "domain": "Økonomi",
        "kle_code": "25.45.00",
        "phase": "development",
        "status": "failed",
        "status_reason": (
            "Udviklingen er stoppet: datakvaliteten på fordringerne var for lav, og robotten var "
            "for ustabil ved opdateringer af Opus. Vi afventer leverandørens standardintegration "
            "til Gældsstyrelsen."
        ),
        "visibility": "municipality",
        "occurrences_per_year": 7000,
        "minutes_per_occurrence": 6,
        "automation_share_pct": 60,
        "technologies": ["RPA"],
        "vendor": "Blue Prism-partner",
        "it_systems": [
            {"name": "Opus Debitor", "vendor": "KMD"},
            {"name": "Fordringshaverportalen", "vendor": "Gældsstyrelsen"},
        ],
        "internal_notes": (
            "Der er brugt ca. 180.000 kr. af projektbudgettet; restbeløbet tilbageføres."
        ),
        "reporter_role": "automation",
    },
    {
        "municipality": "norddjurs",
        "title": "Fejlmeldinger om gadelys sendes direkte til entreprenøren",
        "summary": (
            "Borgernes fejlmeldinger om slukkede gadelamper kommer ind via hjemmesiden og "
            "videresendes manuelt. Det kunne ske automatisk med placering og foto."
        ),
        "description": (
            "Især i vinterhalvåret får vi mange henvendelser om gadelamper, der ikke lyser. En "
            "medarbejder i Vej og Park læser hver henvendelse, finder masten på kortet og sender "
            "en mail til belysningsentreprenøren. Hvis fejlmeldingen automatisk blev koblet til "
            "mastenummeret og sendt videre, kunne borgeren også få besked, når fejlen er rettet."
        ),
        "domain": "Teknik",
        "kle_code": "05.01.08",
        "phase": "idea",
        "status": "not_assessed",
        "status_reason": "",
        "visibility": "personal",
        "occurrences_per_year": 1200,
        "minutes_per_occurrence": 8,
        "automation_share_pct": 70,
        "technologies": [],
        "vendor": "",
        "it_systems": [],
        "internal_notes": "",
        "reporter_role": "employee",
    },
    {
        "municipality": "norddjurs",
        "title": "Selvbetjent booking af haller og mødelokaler for foreninger",
        "summary": (
            "Foreninger og borgere booker selv ledige tider i haller og mødelokaler, og faste "
            "sæsonbookinger fordeles efter de vedtagne principper direkte i systemet."
        ),
        "description": (
            "Kultur og Fritid har hidtil modtaget ansøgninger om lokaler pr. mail og telefon og "
            "ført bookingerne ind manuelt. Med den nye løsning kan foreninger og borgere se ledige "
            "tider og booke direkte, mens sæsonfordelingen sker efter kommunens "
            "fordelingsprincipper. Løsningen rulles i øjeblikket ud i hallerne, og skolernes "
            "lokaler kommer med i næste fase."
        ),
        "domain": "Kultur og fritid",
        "kle_code": "18.15.12",
        "phase": "implementation",
        "status": "in_progress",
        "status_reason": "",
        "visibility": "municipality",
        "occurrences_per_year": 5500,
        "minutes_per_occurrence": 7,
        "automation_share_pct": 70,
        "technologies": ["Selvbetjening", "Workflow"],
        "vendor": "Interbook",
        "it_systems": [
            {"name": "Interbook", "vendor": "Interbook"},
            {"name": "Opus Debitor", "vendor": "KMD"},
        ],
        "internal_notes": (
            "Integration til nøglebrikker skal afklares med Ejendomscentret, før skolerne kommer "
            "med."
        ),
        "reporter_role": "automation",
    },
    {
        "municipality": "norddjurs",
        "title": "Automatisk indkaldelse til jobsamtaler for ledige dagpengemodtagere",
        "summary": (
            "Indkaldelser til lovpligtige jobsamtaler skal dannes automatisk ud fra fristerne i "
            "kontaktforløbet, så jobkonsulenterne kun skal godkende tidspunkterne."
        ),
        "description": (
            "Jobkonsulenterne booker i dag selv samtalerne i Momentum og sender indkaldelserne "
            "manuelt, hvilket tager tid og giver ujævn belastning af kalenderne. Vi har beskrevet "
            "en løsning, hvor systemet foreslår samtaletider ud fra fristerne og konsulenternes "
            "kalendere. Kravspecifikationen er færdig, men vi venter på de nye regler for "
            "kontaktforløbet."
        ),
        "domain": "Beskæftigelse",
        "kle_code": "15.20.20",
        "phase": "specification",
        "status": "pending",
        "status_reason": (
            "Afventer beskæftigelsesreformen og den tilhørende opdatering af Momentum, da reglerne "
            "for samtaleforløbet ændres."
        ),
        "visibility": "municipality",
        "occurrences_per_year": 9500,
        "minutes_per_occurrence": 5,
        "automation_share_pct": 75,
        "technologies": ["Workflow", "Integration"],
        "vendor": "Netcompany",
        "it_systems": [
            {"name": "Momentum", "vendor": "Netcompany"},
            {"name": "Microsoft Outlook", "vendor": "Microsoft"},
        ],
        "internal_notes": "Kontaktperson i Jobcentret er Anders, tlf. 89 59 18 42.",
        "reporter_role": "automation",
    },
    # -------------------- Aarhus ------------------------------------------------------
    {
        "municipality": "aarhus",
        "title": "Rollebaseret tildeling af brugeradgange ved ansættelse og jobskifte",
        "summary": (
            "Forundersøgelse af, hvordan medarbejdernes adgange til fagsystemer kan tildeles og "
            "fjernes automatisk ud fra stilling og organisatorisk enhed."
        ),
        "description": (
            "Når en medarbejder starter, skifter afdeling eller stopper, bestilles adgangene til "
            "de enkelte fagsystemer manuelt via IT-portalen, og systemadministratorerne opretter "
            "dem én ad gangen. Det giver ventetid for nye medarbejdere og risiko for, at gamle "
            "rettigheder ikke bliver fjernet. Vi undersøger, om OS2rollekatalog kan bruges som "
            "fælles grundlag på tværs af magistratsafdelingerne, og hvilke fagsystemer der kan "
            "modtage brugeroplysninger automatisk."
        ),
        "domain": "IT og digitalisering",
        "kle_code": "85.15.03",
        "phase": "preanalysis",
        "status": "in_progress",
        "status_reason": "",
        "visibility": "municipality",
        "occurrences_per_year": 12000,
        "minutes_per_occurrence": 15,
        "automation_share_pct": 70,
        "technologies": ["Integration", "Workflow"],
        "vendor": "",
        "it_systems": [
            {"name": "OS2rollekatalog", "vendor": "OS2"},
            {"name": "Active Directory", "vendor": "Microsoft"},
            {"name": "Cura", "vendor": "Systematic"},
        ],
        "internal_notes": "",
        "reporter_role": "automation",
    },
    {
        "municipality": "aarhus",
        "title": "Dagligt opdateret ledelsesinformation om sygefravær",
        "summary": (
            "Sygefraværsstatistikken trækkes i dag manuelt hver måned. Forundersøgelsen ser på et "
            "dagligt opdateret dashboard med varsling ved langvarigt fravær."
        ),
        "description": (
            "HR-konsulenterne i magistratsafdelingerne bruger samlet flere dage om måneden på at "
            "trække fraværsdata og lave rapporter til ledere og MED-udvalg, og tallene er ofte "
            "forældede, når de bliver præsenteret. Vi undersøger, om data kan hentes automatisk "
            "til et fælles dashboard, og om lederne kan få besked, når en medarbejder nærmer sig "
            "de faste samtaletidspunkter i sygefraværspolitikken."
        ),
        "domain": "HR og personale",
        "kle_code": "00.15.20",
        "phase": "preanalysis",
        "status": "in_progress",
        "status_reason": "",
        "visibility": "municipality",
        "occurrences_per_year": 2400,
        "minutes_per_occurrence": 20,
        "automation_share_pct": 80,
        "technologies": ["Integration"],
        "vendor": "",
        "it_systems": [
            {"name": "Opus Løn", "vendor": "KMD"},
            {"name": "Power BI", "vendor": "Microsoft"},
        ],
        "internal_notes": "Databeskyttelse skal vurderes med DPO, før fraværsdata deles bredere.",
        "reporter_role": "automation",
    },
    {
        "municipality": "aarhus",
        "title": "AI-opsummering af lægeattester i sygedagpengesager",
        "summary": (
            "En AI-løsning laver et kort, struktureret resumé af indkomne lægeattester, så "
            "sagsbehandleren hurtigere kan forberede opfølgningssamtalen."
        ),
        "description": (
            "Sagsbehandlerne i Jobcenter Aarhus læser hver uge et stort antal attester, der ofte "
            "er lange og uensartede. Løsningen udtrækker diagnose, skånehensyn og forventet "
            "varighed og gemmer et resumé som udkast til notat i sagen, som altid skal godkendes "
            "af sagsbehandleren. Vi tester lige nu i ét team med særligt fokus på kvalitet og "
            "databeskyttelse."
        ),
        "domain": "Beskæftigelse",
        "kle_code": "15.17.06",
        "phase": "development",
        "status": "in_progress",
        "status_reason": "",
        "visibility": "municipality",
        "occurrences_per_year": 16000,
        "minutes_per_occurrence": 10,
        "automation_share_pct": 45,
        "technologies": ["AI", "OCR", "Integration"],
        "vendor": "Netcompany",
        "it_systems": [
            {"name": "Momentum", "vendor": "Netcompany"},
            {"name": "KMD Sygedagpenge", "vendor": "KMD"},
        ],
        "internal_notes": "Kontakt for pilotteamet: Jens, tlf. 89 40 21 57 eller jnsk@aarhus.dk.",
        "reporter_role": "automation",
    },
    {
        "municipality": "aarhus",
        "title": "Hurtigere registrering af underretninger fra skoler og dagtilbud",
        "summary": (
            "Underretninger kommer ind via flere kanaler og skal registreres og journaliseres "
            "manuelt, før de kan vurderes. Forslag om at samle og forudfylde registreringen."
        ),
        "description": (
            "Underretninger modtages via den digitale formular, sikker mail og telefon, og "
            "modtagelsesteamet opretter dem manuelt i fagsystemet og journaliserer dem. "
            "Vurderingen inden for 24 timer bliver presset, når registreringen tager tid. Hvis "
            "oplysningerne fra formularen automatisk blev oprettet med barnets CPR-nummer og "
            "kategori, kunne rådgiverne bruge tiden på selve vurderingen."
        ),
        "domain": "Familie og børn",
        "kle_code": "34.10.30",
        "phase": "idea",
        "status": "not_assessed",
        "status_reason": "",
        "visibility": "municipality",
        "occurrences_per_year": 9000,
        "minutes_per_occurrence": 10,
        "automation_share_pct": 60,
        "technologies": [],
        "vendor": "",
        "it_systems": [],
        "internal_notes": "",
        "reporter_role": "employee",
    },
    {
        "municipality": "aarhus",
        "title": "Automatisk match af fakturaer mod indkøbsordrer og varemodtagelse",
        "summary": (
            "Fakturaer, der svarer til en indkøbsordre, skal godkendes automatisk, så kun "
            "afvigelser kræver en medarbejders godkendelse."
        ),
        "description": (
            "En stor del af kommunens e-fakturaer godkendes i dag manuelt af budgetansvarlige, "
            "selvom de svarer præcist til en ordre i e-handelssystemet. Første fase omfatter de "
            "ca. 40.000 fakturaer om året, der knytter sig til indkøbsaftaler på forbrugsvarer. "
            "Forundersøgelsen skal afklare, hvor mange der kan matches på ordre-, vare- og "
            "beløbsniveau, og hvilke tolerancer revisionen kan acceptere. OCR er relevant for de "
            "fakturaer, der stadig kommer som PDF."
        ),
        "domain": "Økonomi",
        "kle_code": "85.15.08",
        "phase": "preanalysis",
        "status": "in_progress",
        "status_reason": "",
        "visibility": "municipality",
        "occurrences_per_year": 40000,
        "minutes_per_occurrence": 3,
        "automation_share_pct": 55,
        "technologies": ["OCR", "AI", "Workflow"],
        "vendor": "",
        "it_systems": [
            {"name": "Opus Økonomi", "vendor": "KMD"},
            {"name": "Kofax ReadSoft", "vendor": "Kofax"},
        ],
        "internal_notes": (
            "Revisionen skal godkende tolerancerne, før vi går videre til specifikation."
        ),
        "reporter_role": "automation",
    },
    {
        "municipality": "aarhus",
        "title": "Regelbaseret tildeling af dagtilbudspladser efter optagelseskriterierne",
        "summary": (
            "Pladsanvisningen skal have systemstøtte til at foreslå, hvem der tilbydes de ledige "
            "pladser ud fra venteliste, anciennitet, søskendefortrinsret og pasningsgaranti."
        ),
        "description": (
            "Hver måned fordeler Pladsanvisningen flere hundrede vuggestue- og børnehavepladser "
            "ved manuelt at gennemgå ventelister og ledige pladser. Optagelseskriterierne ligger "
            "fast, men kombinationen af ønsker, søskende og garantidatoer gør arbejdet tungt og "
            "svært at dokumentere. Vi skriver nu kravspecifikationen til en løsning, der beregner "
            "et forslag til fordeling, som medarbejderen gennemgår, før tilbuddene sendes ud."
        ),
        "domain": "Uddannelse og dagtilbud",
        "kle_code": "28.09.40",
        "phase": "specification",
        "status": "in_progress",
        "status_reason": "",
        "visibility": "municipality",
        "occurrences_per_year": 7500,
        "minutes_per_occurrence": 12,
        "automation_share_pct": 65,
        "technologies": ["Workflow", "Integration"],
        "vendor": "",
        "it_systems": [
            {"name": "KMD Institution", "vendor": "KMD"},
        ],
        "internal_notes": (
            "Fagansvarlig er Sofie i Pladsanvisningen (sofh@aarhus.dk) – hun har den opdaterede "
            "version af regelsættet."
        ),
        "reporter_role": "automation",
    },
    {
        "municipality": "aarhus",
        "title": "Automatisk afhentning af genbrugshjælpemidler ved dødsfald og flytning",
        "summary": (
            "Når en borger dør eller flytter på plejehjem, står kørestole og plejesenge ofte i "
            "boligen i ugevis. Idé om at oprette afhentningsordren automatisk."
        ),
        "description": (
            "Vi får typisk først besked fra de pårørende, når de rydder boligen, og så haster det. "
            "Oplysningerne om dødsfald og flytning findes allerede i CPR og i omsorgssystemet. "
            "Hvis der automatisk blev lavet en afhentningsordre til depotet, ville vi få "
            "hjælpemidlerne hurtigere retur og kunne genbruge dem."
        ),
        "domain": "Sundhed og ældre",
        "kle_code": "27.60.11",
        "phase": "idea",
        "status": "not_assessed",
        "status_reason": "",
        "visibility": "personal",
        "occurrences_per_year": 3000,
        "minutes_per_occurrence": 10,
        "automation_share_pct": 80,
        "technologies": [],
        "vendor": "",
        "it_systems": [
            {"name": "Cura", "vendor": "Systematic"},
        ],
        "internal_notes": "",
        "reporter_role": "employee",
    },
    {
        "municipality": "aarhus",
        "title": "Selvbetjening ved ændring af beholderstørrelse i affaldsordningen",
        "summary": (
            "Ønsker om større eller mindre affaldsbeholdere behandles manuelt og medfører en "
            "gebyrændring. Idé om selvbetjening, der opdaterer gebyr og ordre automatisk."
        ),
        "description": (
            "Efter indførelsen af de nye affaldsfraktioner er der kommet mange henvendelser om "
            "ændring af beholderstørrelse og tømningsfrekvens. Hver ændring kræver opslag på "
            "adressen, opdatering af affaldsgebyret og en ordre til renovatøren. Idéen er en "
            "selvbetjeningsløsning, hvor borgeren vælger beholder, ser den nye pris og får en "
            "kvittering, mens opdateringen sker automatisk bagved."
        ),
        "domain": "Miljø",
        "kle_code": "07.00.10",
        "phase": "idea",
        "status": "in_progress",
        "status_reason": "",
        "visibility": "municipality",
        "occurrences_per_year": 11000,
        "minutes_per_occurrence": 8,
        "automation_share_pct": 75,
        "technologies": ["Selvbetjening", "RPA"],
        "vendor": "",
        "it_systems": [
            {"name": "Affaldssystem", "vendor": "Kredsløb"},
        ],
        "internal_notes": (
            "Idéen vurderes sammen med Kredsløb i forbindelse med deres nye kundeportal."
        ),
        "reporter_role": "automation",
    },
    {
        "municipality": "aarhus",
        "title": "Chatbot besvarer spørgsmål om pas og kørekort i Borgerservice",
        "summary": (
            "Chatbotten på aarhus.dk besvarer de hyppigste spørgsmål om pas, kørekort og "
            "tidsbestilling og sender borgeren direkte videre til den rette selvbetjening."
        ),
        "description": (
            "Borgerservice modtog tidligere mange opkald om ekspeditionstider, gebyrer og hvilke "
            "dokumenter man skal medbringe til pas og kørekort. Chatbotten er trænet på de ca. 150 "
            "hyppigste spørgsmål og overdrager til en medarbejder i chatten i åbningstiden, hvis "
            "den ikke kan svare. To superbrugere i Borgerservice vedligeholder svarene."
        ),
        "domain": "Administration",
        "kle_code": "23.09.02",
        "phase": "operation",
        "status": "in_progress",
        "status_reason": "",
        "visibility": "municipality",
        "occurrences_per_year": 38000,
        "minutes_per_occurrence": 3,
        "automation_share_pct": 55,
        "technologies": ["Chatbot", "AI"],
        "vendor": "Boost.ai",
        "it_systems": [
            {"name": "Boost.ai", "vendor": "Boost.ai"},
            {"name": "Frontdesk tidsbestilling", "vendor": "Frontdesk"},
        ],
        "internal_notes": "",
        "reporter_role": "automation",
        "lessons": {
            "what_worked": (
                "Faste superbrugere, der hver uge gennemgår de ubesvarede spørgsmål, har løftet "
                "svarprocenten støt."
            ),
            "what_did_not": (
                "I perioder med lang ventetid på pas kunne chatbotten ikke svare på det, borgerne "
                "reelt ville vide: hvornår de kan få en tid."
            ),
            "advice_to_others": (
                "Mål på antal løste henvendelser frem for antal samtaler, og planlæg "
                "vedligeholdelsen som en fast driftsopgave."
            ),
            "realised_hours_per_year": 1100,
            "realised_benefit_rating": 2,
        },
    },
    {
        "municipality": "aarhus",
        "title": "Automatisk tekstning og referatudkast fra byrådets møder",
        "summary": (
            "Optagelserne af byrådsmøderne kunne automatisk transskriberes, tekstes til "
            "hjemmesiden og danne et første udkast til referat."
        ),
        "description": (
            "Byrådets møder transmitteres og lægges på aarhus.dk, men det tager lang tid at tekste "
            "videoerne, så de lever op til kravene om webtilgængelighed. Hvis talen automatisk "
            "blev omdannet til tekst, skulle sekretariatet kun rette og godkende. Det ville også "
            "gøre det lettere for borgerne at finde og følge med i debatten om de sager, der "
            "interesserer dem."
        ),
        "domain": "Demokrati",
        "kle_code": "00.22.02",
        "phase": "idea",
        "status": "not_assessed",
        "status_reason": "",
        "visibility": "municipality",
        "occurrences_per_year": 150,
        "minutes_per_occurrence": 120,
        "automation_share_pct": 70,
        "technologies": [],
        "vendor": "",
        "it_systems": [],
        "internal_notes": "",
        "reporter_role": "employee",
    },
]
