from wordseq.cli import main

raise SystemExit(main())
